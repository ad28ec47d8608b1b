"""Fixtures of the indexer tests: private topics, aliases and group; helpers to run indexers.

Every test gets its own topics (``test.indexer.<suffix>.*``), aliases
(``test-<suffix>-news-*``, so their templates never overlap the real ones) and consumer group,
all removed afterwards. The shared local Elasticsearch is never stopped: faults in front of it
come from the plugin's ``fault_proxy`` (:mod:`newswire_testing.faultproxy`). A real outage is
tested on a node the test starts for itself (``test_indexer_node_restart.py``), which it stops
and restarts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer
from kafka.structs import TopicPartition
from newswire_testing.fixtures import FIXTURES_DIR
from newswire_testing.fixtures import fixture_events as load_fixture_events
from newswire_testing.owned import owned_indexer_settings
from newswire_testing.topics import delete_topics, read_topic

from consumers.indexer import IndexerSettings
from consumers.indexer.service import IndexerService
from consumers.runtime import ConsumerRuntime
from newswire.settings import ElasticsearchSettings, KafkaSettings
from newswire.transport.kafka import RecordPublisher, ensure_topics
from schemas.articles import NormalizedArticle
from schemas.base import Contract, stable_id
from schemas.events import Event

REPO = Path(__file__).resolve().parents[4]
FIXTURES = FIXTURES_DIR / "events"


def wait_for_topic_metadata(kafka: KafkaSettings, settings: IndexerSettings) -> None:
    """Wait until the brokers report every partition of the new topics.

    A group that forms while a just-created topic's metadata is incomplete can be assigned only
    part of its partitions (seen with two members joining within a second of creation).
    """
    probe = KafkaConsumer(**kafka.client_options(), group_id=None)
    try:
        deadline = time.monotonic() + 20
        for spec in settings.topic_specs():
            while len(probe.partitions_for_topic(spec.name) or ()) < spec.partitions:
                assert time.monotonic() < deadline, f"no metadata for {spec.name}"
                time.sleep(0.1)
                probe.topics()
    finally:
        probe.close()


@pytest.fixture
def indexer_settings(
    kafka_settings: KafkaSettings,
    es_settings: ElasticsearchSettings,
    es_client: Elasticsearch,
    unique_suffix: str,
) -> Iterator[IndexerSettings]:
    """Indexer settings with this test's own topics, aliases and group; cleaned up afterwards."""
    settings = owned_indexer_settings(
        kafka_settings,
        es_settings,
        "test",
        unique_suffix,
        poll_timeout_seconds=0.2,
        retry_initial_backoff_seconds=0.2,
        retry_max_backoff_seconds=2.0,
        bulk_timeout_seconds=10.0,
        startup_wait_seconds=20.0,
    )
    ensure_topics(kafka_settings, list(settings.topic_specs()))
    wait_for_topic_metadata(kafka_settings, settings)
    yield settings
    delete_topics(kafka_settings, settings.topic_specs())
    # Deleting by wildcard is forbidden on this node (destructive_requires_name): list first.
    created = es_client.indices.get(index=f"test-{unique_suffix}-news-*", expand_wildcards="all")
    if created:
        es_client.indices.delete(index=",".join(created))
    for spec in settings.index_specs():
        es_client.options(ignore_status=404).indices.delete_index_template(name=spec.template_name)


@pytest.fixture(scope="session")
def fixture_events() -> list[Event]:
    """The hand-written fixture events."""
    return load_fixture_events()


@pytest.fixture(scope="session")
def fixture_articles() -> list[NormalizedArticle]:
    """The hand-written fixture articles."""
    lines = (FIXTURES / "articles.jsonl").read_text().splitlines()
    return [NormalizedArticle.model_validate_json(line) for line in lines if line]


@pytest.fixture
def make_events(fixture_events: list[Event]) -> Callable[[int, str], list[Event]]:
    """``make_events(n, tag)``: n distinct events (ids derived from tag) based on the fixtures."""

    def make(count: int, tag: str) -> list[Event]:
        return [
            fixture_events[i % len(fixture_events)].model_copy(
                update={"event_id": stable_id("bulk-event", tag, str(i))}
            )
            for i in range(count)
        ]

    return make


@pytest.fixture
def published_events(
    indexer_settings: IndexerSettings, make_events: Callable[[int, str], list[Event]]
) -> Callable[[int], list[Event]]:
    """``published_events(n)``: n new events, published to the test's events topic and acked."""
    _, events_topic = indexer_settings.topic_specs()

    def publish(count: int) -> list[Event]:
        events = make_events(count, indexer_settings.group_id)
        with RecordPublisher(indexer_settings.kafka) as publisher:
            publisher.publish(events_topic, events)
        return events

    return publish


def count_documents(es: Elasticsearch, alias: str) -> int:
    """Documents searchable through an alias (0 before the first index exists)."""
    if not es.indices.exists_alias(name=alias):
        return 0
    es.indices.refresh(index=alias)
    return int(es.count(index=alias)["count"])


def document_ids(es: Elasticsearch, alias: str) -> list[str]:
    """Every document id behind an alias (up to 10 000)."""
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=10_000, source=False, query={"match_all": {}})
    return [hit["_id"] for hit in hits["hits"]["hits"]]


def wait_for_count(es: Elasticsearch, alias: str, expected: int, timeout_s: float) -> int:
    """Poll until the alias holds ``expected`` documents or the time is up; the last count."""
    deadline = time.monotonic() + timeout_s
    found = count_documents(es, alias)
    while found < expected and time.monotonic() < deadline:
        time.sleep(0.3)
        found = count_documents(es, alias)
    return found


def indexer_env(settings: IndexerSettings, **overrides: str) -> dict[str, str]:
    """The environment that makes a ``newswire consume indexer`` subprocess use ``settings``."""
    env = dict(os.environ)
    env.update(
        {
            "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
            "NEWSWIRE_ES_URL": settings.es.url,
            "NEWSWIRE_INDEXER_GROUP_ID": settings.group_id,
            "NEWSWIRE_INDEXER_ARTICLES_TOPIC": settings.articles_topic,
            "NEWSWIRE_INDEXER_EVENTS_TOPIC": settings.events_topic,
            "NEWSWIRE_INDEXER_ARTICLES_ALIAS": settings.articles_alias,
            "NEWSWIRE_INDEXER_EVENTS_ALIAS": settings.events_alias,
            "NEWSWIRE_INDEXER_POLL_TIMEOUT_SECONDS": str(settings.poll_timeout_seconds),
        }
    )
    env.update(overrides)
    return env


def start_indexer_process(
    settings: IndexerSettings, log_path: Path, until_idle: float | None, **env: str
) -> subprocess.Popen[bytes]:
    """Run the indexer's entry point in a child process, its JSON logs into ``log_path``."""
    code = (
        "import sys\n"
        "from consumers.indexer.service import main\n"
        f"sys.exit(main(until_idle={until_idle!r}))\n"
    )
    log_file = log_path.open("wb")
    try:
        return subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=indexer_env(settings, **env),
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    finally:
        log_file.close()


def log_events(log_path: Path, event: str) -> list[dict[str, Any]]:
    """The JSON log lines of a child indexer with the given ``event`` field."""
    found: list[dict[str, Any]] = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if entry.get("event") == event:
                found.append(entry)
    return found


def dead_letter_count(kafka: KafkaSettings, topic: str) -> int:
    """Messages ever written to a dead-letter topic (the sum of its partitions' end offsets)."""
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"no dead-letter topic {topic}"
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


class IndexerThread:
    """An indexer running in a thread of the test process (signals stay with pytest)."""

    def __init__(self, settings: IndexerSettings, until_idle: float | None) -> None:
        self._service = IndexerService(settings)
        self.exit_codes: list[int] = []
        self._thread = threading.Thread(
            target=lambda: self.exit_codes.append(
                self._service.run(until_idle, install_signal_handlers=False)
            ),
            daemon=True,
        )

    def start(self) -> IndexerThread:
        self._thread.start()
        assert self._service.ready.wait(30), "the indexer did not start"
        return self

    @property
    def runtime(self) -> ConsumerRuntime[Contract]:
        return self._service.runtime

    def stop(self) -> None:
        self.runtime.stop()
        self.join()

    def join(self, timeout: float = 60) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the indexer did not stop"

    def outlast(self, seconds: float, since: float) -> None:
        """Wait until ``seconds`` passed since ``since`` (monotonic); fail if the indexer exits."""
        while time.monotonic() - since < seconds:
            time.sleep(1)
            assert self.exit_codes == [], "the indexer gave up during the outage"


def pointed_at(settings: IndexerSettings, url: str) -> IndexerSettings:
    """The indexer settings writing to the Elasticsearch at ``url`` (a proxy, a test's node)."""
    return settings.model_copy(
        update={"es": ElasticsearchSettings(url=url, request_timeout_seconds=10.0)}
    )


class IndexerKit:
    """The helpers above, for test modules (which cannot import a conftest)."""

    IndexerThread = IndexerThread
    pointed_at = staticmethod(pointed_at)
    count_documents = staticmethod(count_documents)
    document_ids = staticmethod(document_ids)
    wait_for_count = staticmethod(wait_for_count)
    read_dead_letters = staticmethod(read_topic)
    dead_letter_count = staticmethod(dead_letter_count)
    start_indexer_process = staticmethod(start_indexer_process)
    log_events = staticmethod(log_events)


@pytest.fixture(scope="session")
def kit() -> type[IndexerKit]:
    """Helpers to count documents, read dead letters and run indexers (threads, processes)."""
    return IndexerKit
