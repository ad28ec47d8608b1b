"""Digest periods and the buffer of what matched until its period ends (pure logic)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from consumers.alerter.errors import AlerterError
from schemas.subscriptions import DigestMode


def digest_period(mode: DigestMode, moment: datetime) -> tuple[datetime, datetime]:
    """The [start, end) UTC period of ``mode`` that contains ``moment``."""
    moment = moment.astimezone(UTC)
    if mode is DigestMode.HOURLY:
        start = moment.replace(minute=0, second=0, microsecond=0)
        return start, start + timedelta(hours=1)
    if mode is DigestMode.DAILY:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    raise AlerterError(f"{mode.value} is not a digest mode")


@dataclass(frozen=True, slots=True)
class DigestKey:
    """What one digest message groups: a subscription's channel over one period."""

    subscription_id: str
    channel: str
    period_end: datetime


@dataclass(slots=True)
class DigestBuffer:
    """Entry ids waiting for the end of their digest period, grouped by :class:`DigestKey`."""

    _groups: dict[DigestKey, list[str]] = field(default_factory=dict)

    def add(self, key: DigestKey, entry_id: str) -> None:
        """Hold an entry until ``key.period_end``."""
        group = self._groups.setdefault(key, [])
        if entry_id not in group:
            group.append(entry_id)

    def pop_due(self, now: datetime) -> list[tuple[DigestKey, list[str]]]:
        """Remove and return the groups whose period has ended at ``now``, oldest first."""
        due = sorted((k for k in self._groups if k.period_end <= now), key=lambda k: k.period_end)
        return [(key, self._groups.pop(key)) for key in due]

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._groups.values())

    def keys(self) -> Iterable[DigestKey]:
        """The groups held."""
        return list(self._groups)
