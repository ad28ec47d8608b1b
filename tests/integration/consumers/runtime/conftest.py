"""Fixtures of the consumer-runtime tests: a private topic (and its dead-letter topic) per test."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient

from newswire.settings import KafkaSettings
from newswire.transport.kafka import ensure_topics
from schemas.topics import EVENTS, TopicSpec


@pytest.fixture
def events_topic(kafka_settings: KafkaSettings, unique_suffix: str) -> Iterator[TopicSpec]:
    """``news.events.v1``'s contract on a topic of this test's own, deleted afterwards."""
    spec = dataclasses.replace(EVENTS, name=f"test.runtime.{unique_suffix}.events")
    ensure_topics(kafka_settings, [spec])
    yield spec
    admin = KafkaAdminClient(**kafka_settings.client_options())
    try:
        admin.delete_topics([spec.name, spec.dlq], timeout_ms=30_000)
    finally:
        admin.close()
