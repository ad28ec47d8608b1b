"""Kafka helpers of the tests: send raw messages to a topic of the local stack, read it back."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

from newswire.settings import KafkaSettings
from schemas.base import Contract


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
