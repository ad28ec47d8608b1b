"""Issue #6 with a real node: Elasticsearch stopped mid-stream for >= 30 s, then restarted.

The shared Elasticsearch is never stopped (others run tests against it), so this test starts a
node of its own with the stack's code (``newswire.stack``): its own run directory under
/var/tmp, its own ports, the cached 8.19.21 zip. It stops that node with SIGTERM while the
indexer runs, keeps it down for more than 30 s while events keep arriving, and starts it again
on the same ports and data directory. Kafka is the shared broker.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from consumers.indexer import IndexerSettings
from newswire.settings import StackSettings
from newswire.stack.artifacts import ArtifactCache
from newswire.stack.elasticsearch import (
    ElasticsearchLayout,
    ElasticsearchServer,
    cluster_health,
    wait_for_node,
)
from newswire.stack.manager import POM, elasticsearch_server
from newswire.stack.processes import kill_all, log_tail, port_is_free, servers_of, stop_group
from newswire.transport.kafka import RecordPublisher
from schemas.events import Event

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_S = 31.0
HEAP_MB = 512
STOP_TIMEOUT_S = 60.0


def port_outside_ephemeral_range(taken: set[int]) -> int:
    """A free port below the kernel's ephemeral range.

    The node must come back on the same ports after 30 s down. A port of the ephemeral range
    may meanwhile become the local port of some outgoing connection (other tests run on this
    machine), or of the indexer's own reconnects to it (a TCP self-connect); a port below the
    range is never handed out that way.
    """
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    candidates = random.sample(range(max(1024, low - 10_000), low), 200)
    for port in candidates:
        if port not in taken and port_is_free(port):
            return port
    pytest.fail(f"no free port below the ephemeral range (< {low})")


class OwnNode:
    """An Elasticsearch node owned by one test: started, stopped and restarted at will."""

    def __init__(self, server: ElasticsearchServer, *, start_timeout_s: float) -> None:
        self.server = server
        self.start_timeout_s = start_timeout_s
        self.http_port = port_outside_ephemeral_range(set())
        self.transport_port = port_outside_ephemeral_range({self.http_port})
        self.pid: int | None = None
        # Every process of this node names its run directory on its command line.
        self.marker = str(server.layout.root.parent) + os.sep
        server.prepare(http_port=self.http_port, transport_port=self.transport_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ports(self) -> tuple[int, int]:
        return self.http_port, self.transport_port

    def start(self) -> float:
        """Start the node on its ports and data directory; seconds until green or yellow."""
        layout = self.server.layout
        self.pid = self.server.start()
        return wait_for_node(
            self.url,
            self.pid,
            timeout_s=self.start_timeout_s,
            log_path=layout.server_log,
            console_log=layout.console_log,
        )

    def stop(self) -> None:
        """SIGTERM the node's process group; return once no process is left and ports closed."""
        if self.pid is not None:
            stop_group(self.pid, timeout_s=STOP_TIMEOUT_S)
            self.pid = None
        strays = servers_of(self.marker)
        if strays:
            kill_all(strays)
        deadline = time.monotonic() + 30
        while not all(port_is_free(port) for port in self.ports):
            assert time.monotonic() < deadline, f"ports {self.ports} still open after the stop"
            time.sleep(0.2)


@pytest.fixture
def own_node() -> Iterator[OwnNode]:
    """A running node of this test's own; stopped and its directory removed afterwards."""
    run_dir = Path(tempfile.mkdtemp(prefix="newswire-es-restart-", dir="/var/tmp"))
    run_dir.chmod(0o755)  # the node's service user must reach its folder
    node: OwnNode | None = None
    try:
        settings = StackSettings(home=run_dir, elasticsearch_heap_mb=HEAP_MB)
        # Offline: the test uses the zip `newswire stack up` already cached, never downloads.
        cache = ArtifactCache(
            settings.cache_dir, POM, maven_command=settings.maven_command, offline=True
        )
        server = elasticsearch_server(
            settings,
            ElasticsearchLayout(run_dir / "elasticsearch"),
            cache,
            settings.elasticsearch_version,
        )
        node = OwnNode(server, start_timeout_s=settings.start_timeout_seconds)
        node.start()
        yield node
    finally:
        try:
            if node is not None:
                # Shown by pytest only when the test failed; the directory is removed below.
                layout = node.server.layout
                print(f"console log tail:\n{log_tail(layout.console_log, 10)}")
                print(f"server log tail:\n{log_tail(layout.server_log, 40)}")
                node.stop()
            left = servers_of(str(run_dir) + os.sep)
            if left:
                kill_all(left)
            assert left == [], f"processes of {run_dir} outlived the stop: {left}"
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)


def test_a_real_node_stopped_for_30_seconds_mid_stream_then_restarted_indexes_every_event_once(
    indexer_settings: IndexerSettings,
    own_node: OwnNode,
    make_events: Callable[[int, str], list[Event]],
    kit: Any,
) -> None:
    events = make_events(200, indexer_settings.group_id)
    first, second = events[:100], events[100:]
    alias = indexer_settings.events_alias
    _, events_topic = indexer_settings.topic_specs()
    labels = {"stage": "indexer", "topic": events_topic.name}
    # Small batches make the backpressure visible: while the node is down the paused consumer
    # may hold the batch being retried and one decoded ahead, nothing more.
    # A long poll: kafka-python 3.0.12 drops a rebalance whose poll times out between JoinGroup
    # and SyncGroup, leaving the member without partitions. A new member always rebalances a
    # second time (it first joins before it has its topics' metadata), and on a loaded machine
    # a 200 ms poll sometimes ends inside that window.
    settings = kit.pointed_at(indexer_settings, own_node.url).model_copy(
        update={"max_batch_records": 10, "bulk_chunk_size": 10, "poll_timeout_seconds": 2.0}
    )
    es = Elasticsearch(**settings.es.client_options())  # type: ignore[arg-type]
    try:
        indexer = kit.IndexerThread(settings, until_idle=None).start()
        try:
            # The indexer puts its index templates on the node it writes to when it starts.
            for spec in settings.index_specs():
                assert es.indices.exists_index_template(name=spec.template_name)

            with RecordPublisher(settings.kafka) as publisher:
                publisher.publish(events_topic, first)
                assert kit.wait_for_count(es, alias, 100, timeout_s=60) == 100

                own_node.stop()
                down_since = time.monotonic()
                assert cluster_health(own_node.url) is None
                publisher.publish(events_topic, second)
                indexer.outlast(OUTAGE_S, since=down_since)
                metrics = indexer.runtime.metrics
                stage = {"stage": "indexer"}
                assert metrics.value("newswire_consumer_batch_retries_total", stage) >= 3
                consumed = metrics.value("newswire_consumer_records_consumed_total", labels)
                assert 100 < consumed <= 100 + 2 * 10, f"{consumed} records taken in while paused"
                assert metrics.value("newswire_consumer_records_done_total", labels) == 100

            own_node.start()
            assert indexer.exit_codes == [], "the indexer gave up during the node's restart"
            # The data directory survived: the first half is back without being sent again.
            assert {e.event_id for e in first} <= set(kit.document_ids(es, alias))
            for spec in settings.index_specs():
                assert es.indices.exists_index_template(name=spec.template_name)
            assert kit.wait_for_count(es, alias, 200, timeout_s=90) == 200
        finally:
            indexer.stop()
        assert indexer.exit_codes == [0]
        ids = kit.document_ids(es, alias)
    finally:
        es.close()
    assert len(ids) == len(set(ids)) == 200
    assert set(ids) == {e.event_id for e in events}
    metrics = indexer.runtime.metrics
    assert metrics.value("newswire_consumer_records_done_total", labels) == 200
    for reason in ("invalid", "rejected"):
        dead = metrics.value(
            "newswire_consumer_records_dead_lettered_total", {**labels, "reason": reason}
        )
        assert dead == 0
    assert kit.dead_letter_count(settings.kafka, events_topic.dlq) == 0

    # Everything was committed: the same group finds nothing left to do.
    rerun = kit.IndexerThread(settings, until_idle=2.0).start()
    rerun.join()
    assert rerun.exit_codes == [0]
    assert rerun.runtime.metrics.value("newswire_consumer_records_done_total", labels) == 0
