"""Dead letters: their headers, and reading and replaying them (``newswire dlq list|replay``).

A dead letter is the original key and value bytes of a record, written to ``<topic>.dlq``
(:func:`dlq_topic`) by the consumer runtime with the provenance headers of :func:`dlq_headers`
(``schemas.topics.DLQ_HEADER_*``). :func:`list_dead_letters` reads them without a consumer
group; :func:`replay_dead_letters` produces the matching ones back to their source topic with the
same key and value (through :class:`IdempotentProducer`) and commits its progress in a consumer
group of its own (:func:`replay_group`), so a second replay sends nothing again. Replay is
at-least-once: a crash between the acknowledgement and the commit sends those records once more,
which the consumers absorb (the indexer overwrites by id, the alerter notifies once per
development).

Every record read, sent or skipped by the filter, moves the group's position on; to look at
skipped records again, replay ``from_beginning`` with a filter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from kafka import KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from newswire.errors import NewswireError
from newswire.search.query import QueryError, parse_since
from newswire.settings import KafkaSettings
from newswire.transport.kafka import IdempotentProducer, OutgoingMessage, PublishError
from schemas.topics import (
    DLQ_HEADER_ERROR,
    DLQ_HEADER_FAILED_AT,
    DLQ_HEADER_OFFSET,
    DLQ_HEADER_PARTITION,
    DLQ_HEADER_STAGE,
    DLQ_HEADER_TOPIC,
    DLQ_SUFFIX,
)

log = logging.getLogger(__name__)

REPLAY_GROUP_PREFIX = "newswire-dlq-replay."
# Added to each replayed record: the dead letter it came from (``<dlq topic>/<partition>@<offset>``).
HEADER_REPLAYED_FROM = "newswire.replayed_from"

_POLL_MS = 500
_BATCH = 500
_MAX_ERROR_BYTES = 4096


class DeadLetterError(NewswireError):
    """Dead letters could not be read, replayed or committed."""


class _Provenance(Protocol):
    """Where a dead-lettered record came from and why it failed (what its headers carry)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def stage(self) -> str: ...
    @property
    def error(self) -> str: ...


def dlq_topic(source_topic: str) -> str:
    """The dead-letter topic of a source topic."""
    return source_topic + DLQ_SUFFIX


def dlq_headers(letter: _Provenance, *, now: datetime | None = None) -> list[tuple[str, bytes]]:
    """The provenance headers of a dead-lettered message (:func:`parse_dead_letter` reads them)."""
    failed_at = (now or datetime.now(UTC)).isoformat()
    error = letter.error.encode("utf-8")[:_MAX_ERROR_BYTES]
    return [
        (DLQ_HEADER_TOPIC, letter.topic.encode("utf-8")),
        (DLQ_HEADER_PARTITION, str(letter.partition).encode("ascii")),
        (DLQ_HEADER_OFFSET, str(letter.offset).encode("ascii")),
        (DLQ_HEADER_STAGE, letter.stage.encode("utf-8")),
        (DLQ_HEADER_ERROR, error),
        (DLQ_HEADER_FAILED_AT, failed_at.encode("ascii")),
    ]


class _Message(Protocol):
    """What this module reads of a kafka-python ``ConsumerRecord``."""

    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes | None]]: ...


@dataclass(frozen=True, slots=True)
class DeadLetterRecord:
    """One dead letter: where the source record was (topic, partition, offset) and why it failed.

    ``dlq_partition``/``dlq_offset`` say where the letter itself sits in ``<topic>.dlq``;
    ``partition``/``offset`` are the source record's (-1 when a header is missing).
    """

    topic: str
    partition: int
    offset: int
    stage: str
    error: str
    failed_at: datetime
    key: bytes | None
    value: bytes
    dlq_partition: int
    dlq_offset: int

    def as_json(self) -> dict[str, Any]:
        """The ``dlq list --json`` object (``topic``, ``partition``, ``offset``, ``stage``, ``error``)."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "stage": self.stage,
            "error": self.error,
            "failed_at": self.failed_at.isoformat(),
            "key": self.key.decode("utf-8", "replace") if self.key is not None else None,
            "dlq_partition": self.dlq_partition,
            "dlq_offset": self.dlq_offset,
        }


def _int(text: str | None) -> int:
    try:
        return int(text) if text is not None else -1
    except ValueError:
        return -1


def decode_headers(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    """Kafka message headers as text (undecodable bytes replaced; a missing value is empty)."""
    return {name: (value or b"").decode("utf-8", "replace") for name, value in headers}


def parse_dead_letter(message: _Message, *, source_topic: str) -> DeadLetterRecord:
    """A message of a dead-letter topic as a :class:`DeadLetterRecord` (pure).

    Missing headers do not fail: the topic falls back to ``source_topic``, the time to the
    message's Kafka timestamp.
    """
    headers = decode_headers(message.headers or ())
    failed_at: datetime | None = None
    if DLQ_HEADER_FAILED_AT in headers:
        try:
            failed_at = datetime.fromisoformat(headers[DLQ_HEADER_FAILED_AT])
        except ValueError:
            failed_at = None
    if failed_at is None:
        failed_at = datetime.fromtimestamp(max(message.timestamp, 0) / 1000, UTC)
    elif failed_at.tzinfo is None:
        failed_at = failed_at.replace(tzinfo=UTC)
    return DeadLetterRecord(
        topic=headers.get(DLQ_HEADER_TOPIC) or source_topic,
        partition=_int(headers.get(DLQ_HEADER_PARTITION)),
        offset=_int(headers.get(DLQ_HEADER_OFFSET)),
        stage=headers.get(DLQ_HEADER_STAGE, ""),
        error=headers.get(DLQ_HEADER_ERROR, ""),
        failed_at=failed_at,
        key=message.key,
        value=message.value or b"",
        dlq_partition=message.partition,
        dlq_offset=message.offset,
    )


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """``--since``/``--until``: an ISO 8601 time (UTC when naive) or a duration ago (``7d``, ``2h``)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            return (now or datetime.now(UTC)) - parse_since(text)
        except QueryError:
            raise DeadLetterError(
                f"{text!r}: expected an ISO 8601 time (2026-12-03T07:00:00Z) "
                "or a duration ago (30m, 24h, 7d, 2w)"
            ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Which dead letters to replay: an error substring or class, and a time window (pure).

    ``error`` matches case-insensitively anywhere in the error text, so an exception class name
    (``ValidationError``) or a phrase (``differs from event_id``) both work. ``since`` is
    inclusive, ``until`` exclusive; both compare with the time the record was dead-lettered.
    """

    error: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, letter: DeadLetterRecord) -> bool:
        """Whether ``letter`` passes every given condition."""
        if self.error and self.error.casefold() not in letter.error.casefold():
            return False
        if self.since is not None and letter.failed_at < self.since:
            return False
        return not (self.until is not None and letter.failed_at >= self.until)


def replay_group(source_topic: str) -> str:
    """The consumer group that keeps replay's progress over ``source_topic``'s dead letters."""
    return REPLAY_GROUP_PREFIX + source_topic


def replay_message(letter: DeadLetterRecord, dlq: str) -> OutgoingMessage:
    """The message replaying ``letter``: same key and value, to its source topic."""
    origin = f"{dlq}/{letter.dlq_partition}@{letter.dlq_offset}"
    return OutgoingMessage(
        letter.topic,
        letter.key,
        letter.value,
        f"replay of {origin} ({letter.topic}/{letter.partition}@{letter.offset})",
        [(HEADER_REPLAYED_FROM, origin.encode("utf-8"))],
    )


@dataclass
class ReplayReport:
    """What a replay did."""

    replayed: int = 0
    skipped: int = 0
    group: str = ""
    sent: list[DeadLetterRecord] = field(default_factory=list)


def _consumer(settings: KafkaSettings, group_id: str | None) -> KafkaConsumer:
    try:
        return KafkaConsumer(
            **settings.client_options(),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            consumer_timeout_ms=_POLL_MS,
        )
    except KafkaError as exc:
        raise DeadLetterError(f"cannot reach Kafka at {settings.address()}: {exc}") from exc


def _partitions(consumer: KafkaConsumer, dlq: str) -> list[TopicPartition]:
    partitions = sorted(consumer.partitions_for_topic(dlq) or set())
    if not partitions:
        raise DeadLetterError(f"the dead-letter topic {dlq} does not exist")
    return [TopicPartition(dlq, p) for p in partitions]


def _read(
    consumer: KafkaConsumer,
    starts: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
    *,
    timeout_s: float,
) -> Iterable[list[_Message]]:
    """Batches of messages from each partition's start up to its end (exclusive), in order."""
    timeout_ms = int(timeout_s * 1000)
    todo = {tp: end for tp, end in ends.items() if starts[tp] < end}
    if not todo:
        return
    consumer.assign(list(todo))
    for tp in todo:
        consumer.seek(tp, starts[tp])
    idle_polls = 0
    while todo:
        polled = consumer.poll(timeout_ms=_POLL_MS, max_records=_BATCH)
        if not polled:
            # The end may sit past offsets that carry no record (control batches).
            for tp, end in list(todo.items()):
                if consumer.position(tp, timeout_ms=timeout_ms) >= end:
                    del todo[tp]
            idle_polls += 1
            if todo and idle_polls * _POLL_MS / 1000 > timeout_s:
                missing = ", ".join(f"{tp.topic}/{tp.partition}" for tp in todo)
                raise DeadLetterError(f"no dead letters arrived within {timeout_s}s from {missing}")
            continue
        idle_polls = 0
        batch: list[_Message] = []
        for tp, messages in polled.items():
            limit = todo.get(tp)
            if limit is None:
                continue
            batch.extend(m for m in messages if m.offset < limit)
            if consumer.position(tp, timeout_ms=timeout_ms) >= limit:
                del todo[tp]
                consumer.pause(tp)
        if batch:
            yield batch


def list_dead_letters(
    settings: KafkaSettings,
    source_topic: str,
    *,
    limit: int | None = None,
    timeout_s: float = 30.0,
) -> list[DeadLetterRecord]:
    """The dead letters of ``source_topic``, oldest first; with ``limit``, only the newest ``limit``.

    Reads ``<source_topic>.dlq`` without a consumer group (nothing is committed).
    """
    dlq = dlq_topic(source_topic)
    timeout_ms = int(timeout_s * 1000)
    consumer = _consumer(settings, None)
    try:
        tps = _partitions(consumer, dlq)
        begins = consumer.beginning_offsets(tps, timeout_ms=timeout_ms)
        ends = consumer.end_offsets(tps, timeout_ms=timeout_ms)
        starts = {
            tp: begins[tp] if limit is None else max(begins[tp], ends[tp] - limit) for tp in tps
        }
        letters = [
            parse_dead_letter(message, source_topic=source_topic)
            for batch in _read(consumer, starts, ends, timeout_s=timeout_s)
            for message in batch
        ]
    except KafkaError as exc:
        raise DeadLetterError(f"reading {dlq} failed: {exc}") from exc
    finally:
        consumer.close()
    letters.sort(key=lambda letter: (letter.failed_at, letter.dlq_partition, letter.dlq_offset))
    return letters[-limit:] if limit is not None and limit > 0 else letters


def replay_dead_letters(
    settings: KafkaSettings,
    source_topic: str,
    selection: ReplayFilter | None = None,
    *,
    from_beginning: bool = False,
    timeout_s: float = 60.0,
) -> ReplayReport:
    """Produce the dead letters of ``source_topic`` matching ``selection`` back to their topic.

    Starts where the last replay of :func:`replay_group` stopped (or at the beginning of the
    dead-letter topic, also with ``from_beginning``), reads up to the end offsets seen at the
    start, sends each batch with the same key and value and waits for the acknowledgements, then
    commits the group's position past it. Records that do not match are counted as skipped.
    """
    selection = selection or ReplayFilter()
    dlq = dlq_topic(source_topic)
    group = replay_group(source_topic)
    timeout_ms = int(timeout_s * 1000)
    report = ReplayReport(group=group)
    consumer = _consumer(settings, group)
    producer = IdempotentProducer(settings, delivery_timeout_ms=timeout_ms)
    try:
        tps = _partitions(consumer, dlq)
        begins = consumer.beginning_offsets(tps, timeout_ms=timeout_ms)
        ends = consumer.end_offsets(tps, timeout_ms=timeout_ms)
        starts: dict[TopicPartition, int] = {}
        for tp in tps:
            committed = None if from_beginning else consumer.committed(tp, timeout_ms=timeout_ms)
            starts[tp] = max(begins[tp], committed if committed is not None else 0)
        for batch in _read(consumer, starts, ends, timeout_s=timeout_s):
            letters = [parse_dead_letter(m, source_topic=source_topic) for m in batch]
            chosen = [letter for letter in letters if selection.matches(letter)]
            if chosen:
                producer.send_all([replay_message(c, dlq) for c in chosen], timeout_s=timeout_s)
            report.replayed += len(chosen)
            report.skipped += len(letters) - len(chosen)
            report.sent.extend(chosen)
            progress: dict[TopicPartition, int] = {}
            for message in batch:
                tp = TopicPartition(dlq, message.partition)
                progress[tp] = max(progress.get(tp, 0), message.offset + 1)
            consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in progress.items()},
                timeout_ms=timeout_ms,
            )
    except PublishError as exc:
        raise DeadLetterError(f"replaying {dlq} to {source_topic} failed: {exc}") from exc
    except KafkaError as exc:
        raise DeadLetterError(f"replaying {dlq} failed: {exc}") from exc
    finally:
        producer.close(timeout_s=timeout_s)
        consumer.close()
    log.info(
        "dead letters replayed",
        extra={
            "event": "dlq_replayed",
            "topic": source_topic,
            "replayed": report.replayed,
            "skipped": report.skipped,
        },
    )
    return report
