"""Fault tests of the indexer against the real Kafka and Elasticsearch.

The shared Elasticsearch is never stopped: here, outages (connections reset), slowness and
item-level rejections come from the fault-injecting proxy of ``conftest.py``. The same outage
with a real node stopped and restarted is ``test_indexer_node_restart.py``, on a node of its
own. Process crashes and scaling use real child processes running the indexer's entry point.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from consumers.indexer import IndexerSettings
from newswire.transport.kafka import RecordPublisher
from schemas.events import Event

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_item_level_429s_are_retried_and_nothing_is_lost(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    fault_proxy: Any,
    published_events: Callable[[int], list[Event]],
    kit: Any,
) -> None:
    events = published_events(120)
    _, events_topic = indexer_settings.topic_specs()
    fault_proxy.reject_bulk_items(50)
    indexer = kit.IndexerThread(
        kit.pointed_at(indexer_settings, fault_proxy.url), until_idle=3.0
    ).start()
    indexer.join()

    assert indexer.exit_codes == [0]
    assert fault_proxy.rejected == 50
    assert sorted(kit.document_ids(es_client, indexer_settings.events_alias)) == sorted(
        e.event_id for e in events
    )
    metrics = indexer.runtime.metrics
    assert metrics.value("newswire_consumer_batch_retries_total", {"stage": "indexer"}) >= 1
    labels = {"stage": "indexer", "topic": events_topic.name}
    assert metrics.value("newswire_consumer_records_done_total", labels) == 120
    assert kit.read_dead_letters(indexer_settings.kafka, events_topic.dlq, expected=0) == []


def test_elasticsearch_down_for_30_seconds_mid_stream_then_back_indexes_every_event_once(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    fault_proxy: Any,
    make_events: Callable[[int, str], list[Event]],
    kit: Any,
) -> None:
    events = make_events(200, indexer_settings.group_id)
    first, second = events[:100], events[100:]
    alias = indexer_settings.events_alias
    _, events_topic = indexer_settings.topic_specs()
    # Small batches make the backpressure visible: while Elasticsearch is down the paused
    # consumer may hold the batch being retried and one decoded ahead, nothing more.
    settings = kit.pointed_at(indexer_settings, fault_proxy.url).model_copy(
        update={"max_batch_records": 10, "bulk_chunk_size": 10}
    )
    indexer = kit.IndexerThread(settings, until_idle=None).start()
    try:
        with RecordPublisher(indexer_settings.kafka) as publisher:
            publisher.publish(events_topic, first)
            assert kit.wait_for_count(es_client, alias, 100, timeout_s=30) == 100

            fault_proxy.refuse = True
            down_since = time.monotonic()
            publisher.publish(events_topic, second)
            indexer.outlast(31, since=down_since)
            assert kit.count_documents(es_client, alias) == 100, "written while 'down'?"
            retries = indexer.runtime.metrics.value(
                "newswire_consumer_batch_retries_total", {"stage": "indexer"}
            )
            assert retries >= 3
            consumed = indexer.runtime.metrics.value(
                "newswire_consumer_records_consumed_total",
                {"stage": "indexer", "topic": events_topic.name},
            )
            assert consumed <= 100 + 2 * 10, f"{consumed} records taken in while paused"
            fault_proxy.refuse = False

        assert kit.wait_for_count(es_client, alias, 200, timeout_s=40) == 200
    finally:
        fault_proxy.refuse = False
        indexer.stop()
    assert indexer.exit_codes == [0]
    ids = kit.document_ids(es_client, alias)
    assert len(ids) == len(set(ids)) == 200
    assert set(ids) == {e.event_id for e in events}
    labels = {"stage": "indexer", "topic": events_topic.name}
    assert indexer.runtime.metrics.value("newswire_consumer_records_done_total", labels) == 200

    # Everything was committed: the same group finds nothing left to do.
    rerun = kit.IndexerThread(indexer_settings, until_idle=2.0).start()
    rerun.join()
    assert rerun.runtime.metrics.value("newswire_consumer_records_done_total", labels) == 0


def test_an_indexer_killed_mid_batch_and_restarted_loses_and_doubles_nothing(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    fault_proxy: Any,
    published_events: Callable[[int], list[Event]],
    kit: Any,
    tmp_path: Path,
) -> None:
    events = published_events(400)
    alias = indexer_settings.events_alias
    fault_proxy.bulk_delay_s = 0.3  # slow bulk requests, so the kill lands inside a batch
    slow = kit.start_indexer_process(
        indexer_settings,
        tmp_path / "killed.log",
        until_idle=None,
        NEWSWIRE_ES_URL=fault_proxy.url,
        NEWSWIRE_INDEXER_MAX_BATCH_RECORDS="20",
    )
    try:
        deadline = time.monotonic() + 60
        while kit.count_documents(es_client, alias) < 40 and time.monotonic() < deadline:
            time.sleep(0.2)
        slow.send_signal(signal.SIGKILL)
        assert slow.wait(30) == -signal.SIGKILL
    finally:
        if slow.poll() is None:
            slow.kill()
    indexed_before_restart = kit.count_documents(es_client, alias)
    assert 40 <= indexed_before_restart < 400, "the kill did not land mid-stream"
    assert kit.log_events(tmp_path / "killed.log", "batch_committed"), "no batch was committed"

    restarted = kit.start_indexer_process(
        indexer_settings, tmp_path / "restart.log", until_idle=3.0
    )
    assert restarted.wait(90) == 0
    ids = kit.document_ids(es_client, alias)
    assert len(ids) == len(set(ids)) == 400
    assert set(ids) == {e.event_id for e in events}
    resumed = sum(e["records"] for e in kit.log_events(tmp_path / "restart.log", "batch_committed"))
    assert resumed < 400, "the restart did not resume from the committed offsets"


def test_two_indexer_processes_in_one_group_share_the_partitions_and_index_everything_once(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    published_events: Callable[[int], list[Event]],
    kit: Any,
    tmp_path: Path,
) -> None:
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes = [kit.start_indexer_process(indexer_settings, log, until_idle=8.0) for log in logs]
    try:
        # Wait for a stable split: both members hold partitions and their shares are disjoint.
        deadline = time.monotonic() + 45
        shares: list[set[str]] = [set(), set()]
        while time.monotonic() < deadline:
            latest = [kit.log_events(log, "assigned") for log in logs]
            if all(latest):
                shares = [set(entries[-1]["partitions"]) for entries in latest]
                if all(shares) and not shares[0] & shares[1] and len(shares[0] | shares[1]) == 6:
                    break
            time.sleep(0.3)
        assert all(shares) and not shares[0] & shares[1], f"no shared assignment: {shares}"

        events = published_events(300)
        assert [process.wait(90) for process in processes] == [0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    ids = kit.document_ids(es_client, indexer_settings.events_alias)
    assert len(ids) == len(set(ids)) == 300
    assert set(ids) == {e.event_id for e in events}
    handled = [sum(e["records"] for e in kit.log_events(log, "batch_committed")) for log in logs]
    assert all(count > 0 for count in handled), f"one member did nothing: {handled}"
    assert sum(handled) == 300


def test_sigterm_stops_the_indexer_process_cleanly_with_exit_code_0(
    indexer_settings: IndexerSettings, kit: Any, tmp_path: Path
) -> None:
    log = tmp_path / "term.log"
    process = kit.start_indexer_process(indexer_settings, log, until_idle=None)
    try:
        deadline = time.monotonic() + 30
        while not kit.log_events(log, "assigned") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kit.log_events(log, "assigned"), "the indexer never joined its group"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert kit.log_events(log, "signal")
    assert kit.log_events(log, "closed")
