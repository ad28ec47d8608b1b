"""Kafka helpers of the tests: send raw messages to a topic of the local stack, read it back,
and :class:`TopicTail`, what was appended to a catalogue topic since a mark."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

from newswire.settings import KafkaSettings
from newswire.transport.kafka import ensure_topics
from schemas.base import Contract
from schemas.topics import TopicSpec


def delete_topics(kafka: KafkaSettings, specs: Iterable[TopicSpec]) -> None:
    """Delete the topics of ``specs`` and their dead-letter topics."""
    admin = KafkaAdminClient(**kafka.client_options())
    try:
        names = [name for spec in specs for name in (spec.name, spec.dlq)]
        admin.delete_topics(names, timeout_ms=30_000)
    finally:
        admin.close()


@contextmanager
def private_topic(kafka: KafkaSettings, spec: TopicSpec) -> Iterator[TopicSpec]:
    """``spec``'s topic created for a test, then deleted with its dead-letter topic."""
    ensure_topics(kafka, [spec])
    try:
        yield spec
    finally:
        delete_topics(kafka, [spec])


def read_topic(
    kafka: KafkaSettings,
    topic: str,
    expected: int,
    *,
    partitions: Iterable[int] = (0,),
    timeout_seconds: float = 20.0,
) -> list[Any]:
    """Read ``topic``'s ``partitions`` from the beginning until ``expected`` messages (or timeout).

    Returns the kafka-python records read; with ``expected=0`` it returns at once, so a test
    asserting an empty dead-letter topic reads what is there without waiting.
    """
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, auto_offset_reset="earliest")
    try:
        consumer.assign([TopicPartition(topic, partition) for partition in partitions])
        found: list[Any] = []
        deadline = time.monotonic() + timeout_seconds
        while len(found) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                found.extend(records)
        return found
    finally:
        consumer.close()


def produce_raw(
    kafka: KafkaSettings,
    topic: str,
    messages: Iterable[tuple[bytes | None, bytes | None]],
    *,
    partition: int,
) -> None:
    """Send ``(key, value)`` pairs as they are (poison included) to one partition, in order."""
    producer = KafkaProducer(**kafka.client_options(), acks="all")
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value, partition=partition)
        producer.flush(timeout=30)
    finally:
        producer.close()


def keyed(record: Contract, key: str) -> tuple[bytes, bytes]:
    """A record as the ``(key, value)`` pair its producer would send."""
    return key.encode(), record.model_dump_json().encode()


C = TypeVar("C", bound=Contract)


class TopicTail(Generic[C]):
    """Reads what was appended to one catalogue topic after :meth:`mark` (records of type C)."""

    def __init__(self, settings: KafkaSettings, spec: TopicSpec) -> None:
        ensure_topics(settings, [spec])
        self._spec = spec
        self._consumer = KafkaConsumer(**settings.client_options(), enable_auto_commit=False)
        partitions = self._consumer.partitions_for_topic(spec.name) or set()
        self._partitions = [TopicPartition(spec.name, p) for p in sorted(partitions)]
        assert self._partitions, f"topic {spec.name} has no partitions"
        self._consumer.assign(self._partitions)
        self.mark()

    def mark(self) -> None:
        """Remember the current end of every partition."""
        self._start = dict(self._consumer.end_offsets(self._partitions))

    def appended(self) -> list[tuple[str, C]]:
        """(key, record) of every record appended since :meth:`mark`, its key checked."""
        end = self._consumer.end_offsets(self._partitions)
        found: list[tuple[str, Any]] = []
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
                        record = self._spec.model.model_validate_json(message.value)
                        key = message.key.decode("utf-8")
                        assert key == self._spec.key_of(record)
                        found.append((key, record))
        self._consumer.assign(self._partitions)
        return found

    def close(self) -> None:
        self._consumer.close()
