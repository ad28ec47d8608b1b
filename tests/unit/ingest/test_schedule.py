"""Which sources are due: cron and @presets against the last successful fetch (pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.ingest.schedule import (
    due_source_ids,
    is_due,
    last_fetches,
    next_fire_after,
    record_fetches,
)
from newswire.ingest.settings import IngestSettings
from newswire.ingest.sources import Source


def at(hour: int, minute: int, second: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


def source(source_id: str, schedule: str, *, enabled: bool = True) -> Source:
    return Source.model_validate(
        {
            "id": source_id,
            "kind": "rss",
            "url": "https://example.org/feed.rss",
            "schedule": schedule,
            "enabled": enabled,
        }
    )


def test_a_source_never_fetched_is_due() -> None:
    assert is_due("@daily", None, at(12, 0))
    assert is_due("@once", None, at(12, 0))


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        (at(12, 5, 20), at(12, 9, 59), False),  # the next five-minute mark is 12:10
        (at(12, 5, 20), at(12, 10, 1), True),
        (at(12, 10, 0), at(12, 10, 0), False),  # fetched on the mark: the mark is spent
        (at(12, 1, 0), at(12, 30, 0), True),  # several marks missed: due once
    ],
)
def test_every_five_minutes(last: datetime, now: datetime, due: bool) -> None:
    assert is_due("*/5 * * * *", last, now) is due


def test_daily_is_due_once_a_day() -> None:
    fetched = at(0, 0, 30)
    assert not is_due("@daily", fetched, at(23, 59))
    assert is_due("@daily", fetched, at(0, 0, 5, day=4))
    assert not is_due("@midnight", fetched, at(23, 59))


def test_hourly_and_cron_presets_fire_on_the_hour() -> None:
    assert next_fire_after("@hourly", at(12, 30)) == at(13, 0)
    assert next_fire_after("15 * * * *", at(12, 30)) == at(13, 15)
    assert next_fire_after("@weekly", at(12, 0)).weekday() == 6  # type: ignore[union-attr]


def test_once_is_never_due_again_and_continuous_always() -> None:
    assert not is_due("@once", at(1, 0), at(12, 0, day=20))
    assert is_due("@continuous", at(11, 59, 59), at(12, 0))


def test_naive_times_are_read_as_utc() -> None:
    assert is_due("*/5 * * * *", datetime(2026, 12, 3, 12, 4), at(12, 5))


def test_due_source_ids_keeps_catalogue_order_and_skips_disabled() -> None:
    sources = [
        source("every-5", "*/5 * * * *"),
        source("daily", "@daily"),
        source("new", "@hourly"),
        source("off", "* * * * *", enabled=False),
    ]
    last = {"every-5": at(12, 0, 10), "daily": at(0, 0, 10)}
    assert due_source_ids(sources, last, at(12, 3)) == ["new"]
    assert due_source_ids(sources, last, at(12, 5, 1)) == ["every-5", "new"]
    assert due_source_ids(sources, last, at(12, 3), fetch_all=True) == ["every-5", "daily", "new"]


def test_last_fetches_are_kept_in_the_ingest_state(tmp_path: Path) -> None:
    settings = IngestSettings(state_dir=tmp_path)
    assert last_fetches(settings, ["a", "b"]) == {}
    record_fetches(settings, {"a": at(12, 5), "b": at(12, 6)})
    record_fetches(settings, {"a": at(12, 0)})  # a late retry of an older run keeps the newer
    assert last_fetches(settings, ["a", "b", "c"]) == {"a": at(12, 5), "b": at(12, 6)}
    assert last_fetches(IngestSettings(state_dir=tmp_path), ["b"]) == {"b": at(12, 6)}
