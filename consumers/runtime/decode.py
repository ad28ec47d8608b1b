"""Decoding Kafka messages into contract records (pure: no client involved)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from consumers.runtime.records import ConsumedRecord
from newswire.validation import describe_errors
from schemas.base import Contract
from schemas.topics import TopicSpec


@dataclass(frozen=True, slots=True)
class DecodeFailure:
    """A message that is not a valid record of its topic's contract (a poison message)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    raw: bytes
    error: str


def decode_message(
    spec: TopicSpec,
    *,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    timestamp_ms: int | None = None,
) -> ConsumedRecord[Contract] | DecodeFailure:
    """Validate one message against ``spec``'s contract.

    A message is poison when its value is missing, is not the contract's JSON, or its key is not
    the record's catalogue key (a producer bug that would break idempotent document ids).
    """
    raw = value if value is not None else b""

    def failure(error: str) -> DecodeFailure:
        return DecodeFailure(spec.name, partition, offset, key, raw, error)

    if value is None:
        return failure("empty message value (tombstone) on a contract topic")
    try:
        record = spec.model.model_validate_json(value)
    except ValidationError as exc:
        return failure(f"invalid {exc.title}: {describe_errors(exc, limit=5)}")
    try:
        text_key = key.decode("utf-8") if key is not None else None
    except UnicodeDecodeError:
        return failure("message key is not UTF-8")
    expected = spec.key_of(record)
    if text_key is not None and text_key != expected:
        return failure(f"message key {text_key!r} differs from {spec.key_field} {expected!r}")
    return ConsumedRecord(
        topic=spec.name,
        partition=partition,
        offset=offset,
        key=text_key if text_key is not None else expected,
        value=record,
        raw=raw,
        timestamp_ms=timestamp_ms,
    )
