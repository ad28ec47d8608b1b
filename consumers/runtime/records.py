"""What the runtime hands to a handler, and what a handler answers for each record."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from schemas.base import Contract

RecordT = TypeVar("RecordT", bound=Contract, covariant=True)


@dataclass(frozen=True, slots=True)
class ConsumedRecord(Generic[RecordT]):
    """One valid record read from Kafka, with where it came from."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: RecordT
    raw: bytes = field(repr=False)
    timestamp_ms: int | None = None

    @property
    def record_id(self) -> str:
        """A short id for logs: the key when there is one, else topic/partition@offset."""
        return self.key if self.key is not None else f"{self.topic}/{self.partition}@{self.offset}"


class OutcomeKind(StrEnum):
    """What happened to one record."""

    DONE = "done"
    DEAD_LETTER = "dead-letter"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The final result of handling one record: done, or dead-lettered with an error."""

    kind: OutcomeKind
    error: str | None = None

    @classmethod
    def done(cls) -> Outcome:
        """The record's effect is durable."""
        return _DONE

    @classmethod
    def dead_letter(cls, error: str) -> Outcome:
        """The record can never succeed; send it to the dead-letter topic with ``error``."""
        return cls(OutcomeKind.DEAD_LETTER, error)

    @property
    def is_done(self) -> bool:
        """Whether the record was handled successfully."""
        return self.kind is OutcomeKind.DONE


_DONE = Outcome(OutcomeKind.DONE)
