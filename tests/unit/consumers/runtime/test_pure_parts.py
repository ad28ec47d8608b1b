"""Pure parts of the consumer runtime: backoff, decoding, dead-letter headers, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consumers.runtime import (
    ConsumedRecord,
    DeadLetter,
    DecodeFailure,
    Outcome,
    OutcomeKind,
    backoff_delay,
    configure_json_logging,
    decode_headers,
    decode_message,
    dlq_headers,
    dlq_topic,
)
from newswire.logs import LogSettings
from schemas.topics import (
    DLQ_HEADER_ERROR,
    DLQ_HEADER_OFFSET,
    DLQ_HEADER_PARTITION,
    DLQ_HEADER_STAGE,
    DLQ_HEADER_TOPIC,
    EVENTS,
)

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "events" / "events.jsonl"


def first_event_line() -> bytes:
    return FIXTURE.read_bytes().splitlines()[0]


def test_backoff_grows_exponentially_within_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, initial=1.0, maximum=8.0, jitter=rng.random) for n in range(1, 8)]
    ceilings = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_jitter_spreads_retries_of_the_same_attempt() -> None:
    rng = random.Random(1)
    draws = {
        round(backoff_delay(3, initial=1.0, maximum=60.0, jitter=rng.random), 6) for _ in range(20)
    }
    assert len(draws) > 10


def test_backoff_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError, match="counts from 1"):
        backoff_delay(0, initial=1.0, maximum=2.0)


def test_a_valid_message_decodes_to_its_contract_with_its_key() -> None:
    line = first_event_line()
    event_id = json.loads(line)["event_id"]
    decoded = decode_message(
        EVENTS, partition=2, offset=41, key=event_id.encode(), value=line, timestamp_ms=5
    )
    assert isinstance(decoded, ConsumedRecord)
    assert decoded.value.event_id == event_id  # type: ignore[attr-defined]
    assert (decoded.partition, decoded.offset, decoded.key, decoded.raw) == (2, 41, event_id, line)


def test_a_message_without_key_takes_the_catalogue_key() -> None:
    line = first_event_line()
    decoded = decode_message(EVENTS, partition=0, offset=0, key=None, value=line)
    assert isinstance(decoded, ConsumedRecord)
    assert decoded.key == json.loads(line)["event_id"]


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        (b"k", b"{not json", "invalid"),
        (b"k", b'{"schema_version": 2}', "invalid"),
        (b"k", None, "tombstone"),
        (b"0" * 32, None, "tombstone"),
        (b"\xff\xfe", first_event_line(), "not UTF-8"),
        (b"0" * 32, first_event_line(), "differs from event_id"),
    ],
)
def test_poison_messages_are_decode_failures_naming_the_problem(
    key: bytes, value: bytes | None, fragment: str
) -> None:
    decoded = decode_message(EVENTS, partition=1, offset=9, key=key, value=value)
    assert isinstance(decoded, DecodeFailure)
    assert fragment in decoded.error
    assert (decoded.topic, decoded.partition, decoded.offset, decoded.key) == (
        EVENTS.name,
        1,
        9,
        key,
    )


def test_dead_letter_headers_name_topic_partition_offset_stage_and_error() -> None:
    letter = DeadLetter(EVENTS.name, 2, 17, b"k", b"raw", "indexer", "mapper_parsing_exception")
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    headers = decode_headers(dlq_headers(letter, now=now))
    assert headers == {
        DLQ_HEADER_TOPIC: EVENTS.name,
        DLQ_HEADER_PARTITION: "2",
        DLQ_HEADER_OFFSET: "17",
        DLQ_HEADER_STAGE: "indexer",
        DLQ_HEADER_ERROR: "mapper_parsing_exception",
        "newswire.failed_at": "2026-11-23T09:00:00+00:00",
    }
    assert dlq_topic(EVENTS.name) == EVENTS.dlq


def test_dead_letter_error_header_is_bounded() -> None:
    letter = DeadLetter(EVENTS.name, 0, 0, None, b"", "indexer", "x" * 100_000)
    headers = dict(dlq_headers(letter))
    assert len(headers[DLQ_HEADER_ERROR]) == 4096


def test_outcomes_say_done_or_dead_letter_with_the_error() -> None:
    assert Outcome.done().is_done
    rejected = Outcome.dead_letter("bad date")
    assert (rejected.kind, rejected.error, rejected.is_done) == (
        OutcomeKind.DEAD_LETTER,
        "bad date",
        False,
    )


def test_json_logs_carry_the_extra_fields_such_as_record_ids() -> None:
    stream = io.StringIO()
    configure_json_logging(LogSettings(), stream=stream, loggers=("consumers.test-json",))
    logging.getLogger("consumers.test-json").info(
        "batch committed", extra={"event": "batch_committed", "record_ids": ["a", "b"]}
    )
    line = json.loads(stream.getvalue().strip())
    assert line["message"] == "batch committed"
    assert line["record_ids"] == ["a", "b"]
    assert line["level"] == "info"
    assert line["logger"] == "consumers.test-json"


def test_metrics_are_served_over_http_from_their_own_registry() -> None:
    import httpx

    from consumers.runtime import ConsumerMetrics
    from newswire.stack.processes import free_port

    port = free_port()
    metrics = ConsumerMetrics()
    metrics.consumed.labels("indexer", "news.events.v1").inc(3)
    metrics.lag.labels("indexer", "news.events.v1", "0").set(7)
    metrics.serve(port)
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert (
        'newswire_consumer_records_consumed_total{stage="indexer",topic="news.events.v1"} 3.0'
        in text
    )
    assert 'newswire_consumer_lag{partition="0",stage="indexer",topic="news.events.v1"} 7.0' in text
    assert "# TYPE newswire_consumer_batch_seconds histogram" in text
    assert "python_gc_objects_collected_total" not in text  # not the global registry
