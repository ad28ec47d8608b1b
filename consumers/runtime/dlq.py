"""The dead-letter writer: poison and rejected records go to ``<topic>.dlq`` with provenance."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from consumers.runtime.decode import DecodeFailure
from consumers.runtime.errors import ConsumerError
from consumers.runtime.records import ConsumedRecord
from newswire.settings import KafkaSettings
from newswire.transport.dlq import decode_headers as decode_headers  # re-exported
from newswire.transport.dlq import dlq_headers, dlq_topic
from newswire.transport.kafka import IdempotentProducer, OutgoingMessage, PublishError

log = logging.getLogger(__name__)

__all__ = ["DeadLetter", "DeadLetterWriter", "decode_headers", "dlq_headers", "dlq_topic"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message to dead-letter, with where it came from and why."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    raw: bytes
    stage: str
    error: str

    @classmethod
    def undecodable(cls, failure: DecodeFailure, stage: str) -> DeadLetter:
        """The letter of a message that is not a record of its topic's contract."""
        return cls(
            failure.topic,
            failure.partition,
            failure.offset,
            failure.key,
            failure.raw,
            stage,
            failure.error,
        )

    @classmethod
    def rejected(cls, record: ConsumedRecord[Any], stage: str, error: str | None) -> DeadLetter:
        """The letter of a valid record the handler dead-lettered."""
        return cls(
            record.topic,
            record.partition,
            record.offset,
            record.key.encode("utf-8") if record.key is not None else None,
            record.raw,
            stage,
            error or "rejected by the handler",
        )


class DeadLetterWriter:
    """Produces dead letters with :class:`IdempotentProducer` and waits for their acknowledgement."""

    def __init__(self, settings: KafkaSettings, *, timeout_s: float = 60.0) -> None:
        self._timeout_s = timeout_s
        self._producer = IdempotentProducer(
            settings, linger_ms=5, delivery_timeout_ms=int(timeout_s * 1000)
        )

    def open(self) -> None:
        """Connect to Kafka."""
        try:
            self._producer.open()
        except PublishError as exc:
            raise ConsumerError(f"cannot open the dead-letter producer: {exc}") from exc

    def close(self) -> None:
        """Flush and disconnect."""
        self._producer.close(timeout_s=self._timeout_s)

    def write(self, letters: Sequence[DeadLetter]) -> None:
        """Send every letter to its dead-letter topic; return once all are acknowledged."""
        if not letters:
            return
        self.open()
        messages = [
            OutgoingMessage(
                dlq_topic(letter.topic),
                letter.key,
                letter.raw,
                f"dead letter for {letter.topic}/{letter.partition}@{letter.offset}",
                dlq_headers(letter),
            )
            for letter in letters
        ]
        try:
            self._producer.send_all(messages, timeout_s=self._timeout_s)
        except PublishError as exc:
            raise ConsumerError(f"dead letters could not be sent: {exc}") from exc
        for letter in letters:
            log.warning(
                "dead-lettered",
                extra={
                    "event": "dead_lettered",
                    "topic": letter.topic,
                    "partition": letter.partition,
                    "offset": letter.offset,
                    "stage": letter.stage,
                    "error": letter.error,
                    "record_id": letter.key.decode("utf-8", "replace") if letter.key else None,
                },
            )
