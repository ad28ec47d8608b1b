"""``newswire dlq list`` and ``dlq replay`` against the real local Kafka.

Dead letters are made the way production makes them: a :class:`ConsumerRuntime` over a private
topic meets a poison message and a record its handler rejects.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator

import pytest
from kafka import KafkaConsumer
from kafka.structs import TopicPartition
from newswire_testing.fixtures import fixture_events
from newswire_testing.handlers import RecordingHandler
from newswire_testing.topics import keyed, private_topic, produce_raw
from typer.testing import CliRunner

from consumers.runtime import ConsumerRuntime, ConsumerSettings
from newswire.settings import KafkaSettings
from newswire.transport.dlq import HEADER_REPLAYED_FROM
from newswire.transport.dlq_commands import dlq_app
from schemas.topics import EVENTS, TopicSpec

pytestmark = pytest.mark.integration

REJECTED = "SinkRejected: refused by the test sink"


def wait_for_partitions(kafka: KafkaSettings, spec: TopicSpec) -> None:
    """Until a fresh client sees every partition: a group joined earlier gets an empty share."""
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    try:
        deadline = time.monotonic() + 30
        while len(consumer.partitions_for_topic(spec.name) or ()) < spec.partitions:
            assert time.monotonic() < deadline, f"{spec.name} has no partition metadata after 30 s"
            time.sleep(0.2)
            consumer.close()
            consumer = KafkaConsumer(
                **kafka.client_options(), group_id=None, enable_auto_commit=False
            )
    finally:
        consumer.close()


@pytest.fixture
def events_topic(kafka_settings: KafkaSettings, unique_suffix: str) -> Iterator[TopicSpec]:
    """``news.events.v1``'s contract on a topic of this test's own, deleted afterwards."""
    spec = dataclasses.replace(EVENTS, name=f"test.dlq.{unique_suffix}.events")
    with private_topic(kafka_settings, spec):
        wait_for_partitions(kafka_settings, spec)
        yield spec


def run_consumer(
    kafka: KafkaSettings, spec: TopicSpec, group: str, handler: RecordingHandler
) -> None:
    settings = ConsumerSettings(
        kafka=kafka, group_id=group, poll_timeout_seconds=0.2, lag_refresh_seconds=0.0
    )
    assert ConsumerRuntime([spec], handler, settings).run(until_idle=2.0) == 0


def end_offsets(kafka: KafkaSettings, spec: TopicSpec) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    try:
        tps = [TopicPartition(spec.name, p) for p in range(spec.partitions)]
        return dict(consumer.end_offsets(tps, timeout_ms=30_000))
    finally:
        consumer.close()


def read_from(
    kafka: KafkaSettings, starts: dict[TopicPartition, int], expected: int
) -> list[object]:
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    try:
        consumer.assign(list(starts))
        for tp, offset in starts.items():
            consumer.seek(tp, offset)
        found: list[object] = []
        deadline = time.monotonic() + 20
        while len(found) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                found.extend(records)
        # One more poll: nothing beyond what was expected arrives.
        for records in consumer.poll(timeout_ms=1000).values():
            found.extend(records)
        return found
    finally:
        consumer.close()


def invoke(kafka: KafkaSettings, *args: str) -> tuple[int, str]:
    env = {"NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers, "COLUMNS": "200"}
    result = CliRunner().invoke(dlq_app, list(args), env=env)
    return result.exit_code, result.stdout + result.stderr


def test_dead_letters_are_listed_replayed_keyed_as_before_and_only_once(
    kafka_settings: KafkaSettings, events_topic: TopicSpec, unique_suffix: str
) -> None:
    events = fixture_events()[:3]
    rejected = events[1]
    # All on partition 0 so the source offsets are known: poison at 0, events at 1, 2, 3.
    messages = [(b"bad", b"{not json"), *(keyed(event, event.event_id) for event in events)]
    produce_raw(kafka_settings, events_topic.name, messages, partition=0)
    group = f"test-dlq-{unique_suffix}"
    handler = RecordingHandler(reject=frozenset({rejected.event_id}), reason=REJECTED)
    run_consumer(kafka_settings, events_topic, group, handler)

    code, out = invoke(kafka_settings, "list", events_topic.name, "--json")
    assert code == 0, out
    letters = json.loads(out)
    assert [(d["topic"], d["partition"], d["offset"]) for d in letters] == [
        (events_topic.name, 0, 0),
        (events_topic.name, 0, 2),
    ]
    assert {d["stage"] for d in letters} == {"test-stage"}
    assert "invalid" in letters[0]["error"]
    assert letters[1]["error"] == REJECTED
    assert letters[1]["key"] == rejected.event_id

    code, out = invoke(kafka_settings, "list", events_topic.name, "--limit", "1", "--json")
    assert code == 0, out
    assert [d["offset"] for d in json.loads(out)] == [2]
    code, out = invoke(kafka_settings, "list", events_topic.name)
    assert code == 0, out
    assert "SinkRejected" in out

    # After the fix: replay only the rejected record (the poison one stays a dead letter).
    before = end_offsets(kafka_settings, events_topic)
    code, out = invoke(kafka_settings, "replay", events_topic.name, "--error", "sinkrejected")
    assert code == 0, out
    assert f"replayed 1 dead letter(s) to {events_topic.name}; skipped 1" in out
    replayed = read_from(kafka_settings, before, expected=1)
    assert len(replayed) == 1
    record = replayed[0]
    assert record.key == rejected.event_id.encode()  # type: ignore[attr-defined]
    assert record.value == rejected.model_dump_json().encode()  # type: ignore[attr-defined]
    headers = dict(record.headers)  # type: ignore[attr-defined]
    assert headers[HEADER_REPLAYED_FROM] == f"{events_topic.dlq}/0@1".encode()

    code, out = invoke(kafka_settings, "replay", events_topic.name)
    assert code == 0, out
    assert "replayed 0 dead letter(s)" in out and "skipped 0" in out
    assert len(read_from(kafka_settings, before, expected=1)) == 1, "the second replay sent again"

    # Skipped letters stay reachable: from the beginning, with a filter.
    code, out = invoke(
        kafka_settings, "replay", events_topic.name, "--from-beginning", "--error", "invalid"
    )
    assert code == 0, out
    assert "replayed 1 dead letter(s)" in out and "skipped 1" in out
    again = read_from(kafka_settings, before, expected=2)
    assert sorted(r.key for r in again) == [b"bad", rejected.event_id.encode()]  # type: ignore[attr-defined]


def test_an_unknown_topic_is_an_error(kafka_settings: KafkaSettings, unique_suffix: str) -> None:
    code, out = invoke(kafka_settings, "list", f"test.dlq.{unique_suffix}.missing")
    assert code == 1
    assert "does not exist" in out
