"""The commit calculator: which offsets a finished batch commits (pure, no Kafka client)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class CommitPlan:
    """The next offset to commit per owned partition, and the partitions left to a new owner."""

    offsets: dict[Partition, int]
    moved: tuple[Partition, ...]


def plan_commit(
    positions: Iterable[tuple[str, int, int]], owned: Collection[Partition]
) -> CommitPlan:
    """Offsets to commit for messages at ``(topic, partition, offset)``.

    Each partition commits one past its highest offset in the batch. A partition no longer in
    ``owned`` (it moved to another member during the batch) is not committed: its new owner
    replays it from the last commit, and the handlers' effects are idempotent.
    """
    offsets: dict[Partition, int] = {}
    for topic, partition, offset in positions:
        key = (topic, partition)
        offsets[key] = max(offsets.get(key, 0), offset + 1)
    moved = tuple(sorted(key for key in offsets if key not in owned))
    for key in moved:
        del offsets[key]
    return CommitPlan(offsets, moved)


def consumer_lag(highwater: int, position: int) -> int:
    """Records not yet consumed on a partition (never negative)."""
    return max(0, highwater - position)
