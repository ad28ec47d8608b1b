from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumers.alerter.digest import DigestBuffer, DigestKey, digest_period
from consumers.alerter.dispatch import retry_delay
from consumers.alerter.errors import AlerterError
from schemas.subscriptions import DigestMode


def test_digest_periods_are_utc_hours_and_days() -> None:
    moment = datetime(2024, 3, 18, 13, 47, 5, tzinfo=UTC)
    assert digest_period(DigestMode.HOURLY, moment) == (
        datetime(2024, 3, 18, 13, tzinfo=UTC),
        datetime(2024, 3, 18, 14, tzinfo=UTC),
    )
    assert digest_period(DigestMode.DAILY, moment) == (
        datetime(2024, 3, 18, tzinfo=UTC),
        datetime(2024, 3, 19, tzinfo=UTC),
    )
    with pytest.raises(AlerterError):
        digest_period(DigestMode.INSTANT, moment)


def test_the_buffer_releases_groups_only_when_their_period_ended() -> None:
    buffer = DigestBuffer()
    end = datetime(2024, 3, 18, 14, tzinfo=UTC)
    key = DigestKey("macron-putin", "webhook#0", end)
    buffer.add(key, "a")
    buffer.add(key, "b")
    buffer.add(key, "a")
    buffer.add(DigestKey("troops", "email#0", datetime(2024, 3, 19, tzinfo=UTC)), "c")
    assert buffer.pop_due(datetime(2024, 3, 18, 13, 59, 59, tzinfo=UTC)) == []
    assert buffer.pop_due(end) == [(key, ["a", "b"])]
    assert len(buffer) == 1


def test_retry_delay_doubles_up_to_the_cap() -> None:
    assert [retry_delay(n, 1.0, 10.0) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
