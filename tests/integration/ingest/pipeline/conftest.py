"""Reading records back from the real ``news.articles.v1`` topic, and the loopback news site.

The site is the one the DAG tests use (``tests/integration/dags/conftest.py``), loaded from that
file so both suites fetch exactly the same pages, feeds and API.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

import pytest
from kafka import KafkaConsumer, TopicPartition

from newswire.settings import KafkaSettings
from newswire.transport.kafka import ensure_topics
from schemas.articles import NormalizedArticle
from schemas.base import Contract
from schemas.events import Event
from schemas.topics import ARTICLES, EVENTS

RecordT = TypeVar("RecordT", bound=Contract)

_SITE_MODULE_PATH = Path(__file__).resolve().parents[2] / "dags" / "conftest.py"
_spec = importlib.util.spec_from_file_location("newswire_test_news_site", _SITE_MODULE_PATH)
assert _spec is not None and _spec.loader is not None
_site_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _site_module  # dataclasses look their module up while decorating
_spec.loader.exec_module(_site_module)
news_site = _site_module.news_site


class TopicTail(Generic[RecordT]):
    """Remembers the end offsets of a topic, then reads what was appended after them."""

    def __init__(self, settings: KafkaSettings, topic: str, model: type[RecordT]) -> None:
        self._model = model
        self._consumer = KafkaConsumer(
            **settings.client_options(), enable_auto_commit=False, consumer_timeout_ms=2000
        )
        partitions = self._consumer.partitions_for_topic(topic) or set()
        self._partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        assert self._partitions, f"topic {topic} has no partitions"
        self._consumer.assign(self._partitions)
        self.mark()

    def mark(self) -> None:
        """Remember the current end of every partition."""
        self._start = dict(self._consumer.end_offsets(self._partitions))

    def appended(self) -> list[tuple[str, RecordT]]:
        """(key, record) of every record appended since :meth:`mark`."""
        end = self._consumer.end_offsets(self._partitions)
        records: list[tuple[str, RecordT]] = []
        for partition in self._partitions:
            if end[partition] <= self._start[partition]:
                continue
            # One partition at a time: other tests' traffic on the topic cannot starve the read.
            self._consumer.assign([partition])
            self._consumer.seek(partition, self._start[partition])
            empty_polls = 0
            while self._consumer.position(partition) < end[partition] and empty_polls < 10:
                batch = self._consumer.poll(timeout_ms=1000, max_records=500)
                empty_polls = 0 if batch else empty_polls + 1
                for message in batch.get(partition, []):
                    if message.offset < end[partition]:
                        records.append(
                            (
                                message.key.decode("utf-8"),
                                self._model.model_validate_json(message.value),
                            )
                        )
        self._consumer.assign(self._partitions)
        return records

    def close(self) -> None:
        self._consumer.close()


@pytest.fixture
def articles_tail(
    kafka_settings: KafkaSettings,
) -> Iterator[Callable[[], TopicTail[NormalizedArticle]]]:
    ensure_topics(kafka_settings, [ARTICLES])
    opened: list[TopicTail[NormalizedArticle]] = []

    def open_tail() -> TopicTail[NormalizedArticle]:
        tail = TopicTail(kafka_settings, ARTICLES.name, NormalizedArticle)
        opened.append(tail)
        return tail

    yield open_tail
    for tail in opened:
        tail.close()


@pytest.fixture
def events_tail(kafka_settings: KafkaSettings) -> Iterator[TopicTail[Event]]:
    ensure_topics(kafka_settings, [EVENTS])
    tail = TopicTail(kafka_settings, EVENTS.name, Event)
    try:
        yield tail
    finally:
        tail.close()
