"""The pure parts of dead-letter replay: reading a letter's headers, the filters, the message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from newswire.transport.dlq import (
    HEADER_REPLAYED_FROM,
    DeadLetterError,
    DeadLetterRecord,
    ReplayFilter,
    parse_dead_letter,
    parse_time,
    replay_group,
    replay_message,
)
from schemas.topics import (
    DLQ_HEADER_ERROR,
    DLQ_HEADER_FAILED_AT,
    DLQ_HEADER_OFFSET,
    DLQ_HEADER_PARTITION,
    DLQ_HEADER_STAGE,
    DLQ_HEADER_TOPIC,
)

FAILED_AT = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


@dataclass
class Message:
    """The fields of a kafka-python ConsumerRecord that the module reads."""

    partition: int = 0
    offset: int = 7
    timestamp: int = 1_700_000_000_000
    key: bytes | None = b"k1"
    value: bytes | None = b"{not json"
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


def headers(**overrides: str) -> list[tuple[str, bytes | None]]:
    values = {
        DLQ_HEADER_TOPIC: "news.events.v1",
        DLQ_HEADER_PARTITION: "2",
        DLQ_HEADER_OFFSET: "41",
        DLQ_HEADER_STAGE: "indexer",
        DLQ_HEADER_ERROR: "ValidationError: 1 validation error for Event",
        DLQ_HEADER_FAILED_AT: FAILED_AT.isoformat(),
    }
    values.update(overrides)
    return [(name, value.encode()) for name, value in values.items()]


def letter(
    error: str = "ValidationError: bad", failed_at: datetime = FAILED_AT
) -> DeadLetterRecord:
    return DeadLetterRecord(
        topic="news.events.v1",
        partition=0,
        offset=1,
        stage="indexer",
        error=error,
        failed_at=failed_at,
        key=b"k",
        value=b"v",
        dlq_partition=0,
        dlq_offset=3,
    )


def test_a_letter_carries_the_source_records_provenance() -> None:
    parsed = parse_dead_letter(Message(headers=headers()), source_topic="news.events.v1")
    assert (parsed.topic, parsed.partition, parsed.offset) == ("news.events.v1", 2, 41)
    assert parsed.stage == "indexer"
    assert parsed.error.startswith("ValidationError")
    assert parsed.failed_at == FAILED_AT
    assert (parsed.key, parsed.value) == (b"k1", b"{not json")
    assert (parsed.dlq_partition, parsed.dlq_offset) == (0, 7)
    doc = parsed.as_json()
    assert {k: doc[k] for k in ("topic", "partition", "offset", "stage", "error")} == {
        "topic": "news.events.v1",
        "partition": 2,
        "offset": 41,
        "stage": "indexer",
        "error": "ValidationError: 1 validation error for Event",
    }
    assert doc["key"] == "k1"


def test_missing_headers_fall_back_to_the_topic_and_the_kafka_timestamp() -> None:
    parsed = parse_dead_letter(Message(headers=[], value=None), source_topic="t")
    assert (parsed.topic, parsed.partition, parsed.offset) == ("t", -1, -1)
    assert parsed.failed_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert parsed.value == b""


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("ValidationError", True),
        ("validationerror", True),
        ("bad", True),
        ("KeyMismatch", False),
        (None, True),
        ("", True),
    ],
)
def test_the_error_filter_is_a_case_insensitive_substring(
    needle: str | None, expected: bool
) -> None:
    assert ReplayFilter(error=needle).matches(letter()) is expected


def test_the_time_window_includes_since_and_excludes_until() -> None:
    window = ReplayFilter(since=FAILED_AT, until=FAILED_AT + timedelta(hours=1))
    assert window.matches(letter(failed_at=FAILED_AT))
    assert window.matches(letter(failed_at=FAILED_AT + timedelta(minutes=59)))
    assert not window.matches(letter(failed_at=FAILED_AT - timedelta(seconds=1)))
    assert not window.matches(letter(failed_at=FAILED_AT + timedelta(hours=1)))


def test_every_condition_must_hold() -> None:
    both = ReplayFilter(error="validation", since=FAILED_AT + timedelta(minutes=1))
    assert not both.matches(letter())
    assert both.matches(letter(failed_at=FAILED_AT + timedelta(minutes=2)))


def test_times_are_iso_or_a_duration_ago() -> None:
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert parse_time("2h", now=now) == now - timedelta(hours=2)
    assert parse_time("2026-12-03T07:00:00Z") == FAILED_AT
    assert parse_time("2026-12-03T07:00:00") == FAILED_AT, "naive times are UTC"
    with pytest.raises(DeadLetterError, match="ISO 8601"):
        parse_time("yesterday")


def test_a_replay_goes_to_the_source_topic_with_the_same_key_and_value() -> None:
    message = replay_message(letter(), "news.events.v1.dlq")
    assert (message.topic, message.key, message.value) == ("news.events.v1", b"k", b"v")
    assert message.headers == [(HEADER_REPLAYED_FROM, b"news.events.v1.dlq/0@3")]
    assert replay_group("news.events.v1") == "newswire-dlq-replay.news.events.v1"
