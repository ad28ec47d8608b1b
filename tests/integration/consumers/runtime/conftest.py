"""Fixtures of the consumer-runtime tests: a private topic (and its dead-letter topic) per test."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from newswire_testing.topics import private_topic

from newswire.settings import KafkaSettings
from schemas.topics import EVENTS, TopicSpec


@pytest.fixture
def events_topic(kafka_settings: KafkaSettings, unique_suffix: str) -> Iterator[TopicSpec]:
    """``news.events.v1``'s contract on a topic of this test's own, deleted afterwards."""
    spec = dataclasses.replace(EVENTS, name=f"test.runtime.{unique_suffix}.events")
    with private_topic(kafka_settings, spec):
        yield spec
