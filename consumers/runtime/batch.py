"""One polled batch from decoding to commit, and where its dead letters are built (pure).

:func:`decode_batch` splits the polled messages into valid records and poison messages;
:meth:`Batch.settle` takes the handler's outcomes and returns every dead letter of the batch
(poison and rejected alike) with the per-topic counts the runtime reports. Nothing here talks
to Kafka or reads a clock: the loop supplies the messages and the start time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast

from consumers.runtime.decode import DecodeFailure, decode_message
from consumers.runtime.dlq import DeadLetter
from consumers.runtime.errors import HandlerContractError
from consumers.runtime.records import ConsumedRecord, Outcome
from schemas.base import Contract
from schemas.topics import TopicSpec

RecordT = TypeVar("RecordT", bound=Contract)


class PolledMessage(Protocol):
    """What the runtime reads of a polled Kafka message (kafka-python's ``ConsumerRecord``)."""

    @property
    def topic(self) -> str:
        """The topic it was read from."""
        ...

    @property
    def partition(self) -> int:
        """Its partition."""
        ...

    @property
    def offset(self) -> int:
        """Its offset in the partition."""
        ...

    @property
    def key(self) -> bytes | None:
        """The raw key."""
        ...

    @property
    def value(self) -> bytes | None:
        """The raw value (None for a tombstone)."""
        ...

    @property
    def timestamp(self) -> int | None:
        """The message timestamp in milliseconds."""
        ...


@dataclass(frozen=True, slots=True)
class Settlement:
    """What a handled batch amounts to: every dead letter, and the records done per topic."""

    letters: tuple[DeadLetter, ...]
    done: Mapping[str, int]
    rejected: Mapping[str, int]


@dataclass
class Batch(Generic[RecordT]):
    """One polled batch: the messages (for the commit), the valid records and the poison ones."""

    messages: list[Any]
    started: float
    valid: list[ConsumedRecord[RecordT]] = field(default_factory=list)
    poison: list[DecodeFailure] = field(default_factory=list)

    def consumed(self) -> Counter[str]:
        """Messages read per topic."""
        return Counter(message.topic for message in self.messages)

    def invalid(self) -> Counter[str]:
        """Poison messages per topic."""
        return Counter(failure.topic for failure in self.poison)

    def settle(self, outcomes: Sequence[Outcome], stage: str) -> Settlement:
        """Every dead letter of the batch (poison first, then rejected records, in order).

        Raises :class:`HandlerContractError` unless there is one outcome per valid record.
        """
        check_outcomes(stage, outcomes, len(self.valid))
        letters = [DeadLetter.undecodable(failure, stage) for failure in self.poison]
        done: Counter[str] = Counter()
        rejected: Counter[str] = Counter()
        for record, outcome in zip(self.valid, outcomes, strict=True):
            if outcome.is_done:
                done[record.topic] += 1
            else:
                letters.append(DeadLetter.rejected(record, stage, outcome.error))
                rejected[record.topic] += 1
        return Settlement(tuple(letters), dict(done), dict(rejected))


def decode_batch(
    messages: Sequence[PolledMessage], specs: Mapping[str, TopicSpec], *, started: float
) -> Batch[Any]:
    """Decode polled messages with their topics' contracts into a :class:`Batch`."""
    batch: Batch[Any] = Batch(messages=list(messages), started=started)
    for message in messages:
        decoded = decode_message(
            specs[message.topic],
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value,
            timestamp_ms=message.timestamp,
        )
        if isinstance(decoded, DecodeFailure):
            batch.poison.append(decoded)
        else:
            batch.valid.append(cast(ConsumedRecord[Any], decoded))
    return batch


def check_outcomes(stage: str, outcomes: Sequence[Outcome], records: int) -> None:
    """Raise :class:`HandlerContractError` unless a handler answered once per record."""
    if len(outcomes) != records:
        raise HandlerContractError(f"{stage}: {len(outcomes)} outcomes for {records} records")
