from __future__ import annotations

from datetime import date

import pytest

from newswire.extract.dates import Granularity, ResolvedDate, find_date_mentions, resolve_text

THURSDAY = date(2022, 7, 7)


@pytest.mark.parametrize(
    ("text", "expected", "granularity"),
    [
        ("Russia on Wednesday slammed Macron", date(2022, 7, 6), Granularity.DAY),
        ("the call on Thursday", date(2022, 7, 7), Granularity.DAY),
        ("last Friday", date(2022, 7, 1), Granularity.DAY),
        ("the conversation on Feb 20", date(2022, 2, 20), Granularity.DAY),
        ("on 20 February 2021", date(2021, 2, 20), Granularity.DAY),
        ("yesterday", date(2022, 7, 6), Granularity.DAY),
        ("a day earlier", date(2022, 7, 6), Granularity.DAY),
        ("last week", date(2022, 6, 27), Granularity.WEEK),
        ("in March", date(2022, 3, 1), Granularity.MONTH),
        ("an October phone call", date(2021, 10, 1), Granularity.MONTH),
        ("in 2017", date(2017, 1, 1), Granularity.YEAR),
        ("2024-03-20", date(2024, 3, 20), Granularity.DAY),
        ("two days ago", date(2022, 7, 5), Granularity.DAY),
    ],
)
def test_past_expressions_resolve_against_the_publication_date(
    text: str, expected: date, granularity: Granularity
) -> None:
    resolved = resolve_text(text, THURSDAY)
    assert resolved is not None
    assert (resolved.value, resolved.granularity) == (expected, granularity)


def test_future_weekday_and_month_day_look_forward() -> None:
    saturday = resolve_text("will travel on Saturday", THURSDAY, future=True)
    january = resolve_text("a summit on Jan 10", THURSDAY, future=True)
    tomorrow = resolve_text("tomorrow", THURSDAY)
    assert saturday is not None and saturday.value == date(2022, 7, 9)
    assert january is not None and january.value == date(2023, 1, 10)
    assert tomorrow is not None and tomorrow.value == date(2022, 7, 8)


def test_a_month_day_far_after_publication_belongs_to_the_previous_year() -> None:
    resolved = resolve_text("the meeting on December 3", date(2025, 2, 1))
    assert resolved is not None and resolved.value == date(2024, 12, 3)


def test_relative_expressions_need_a_publication_date() -> None:
    assert resolve_text("on Tuesday", None) is None
    assert resolve_text("on Feb 20", None) is None
    absolute = resolve_text("in 2020", None)
    assert absolute is not None and absolute.value == date(2020, 1, 1)


def test_text_without_a_date_resolves_to_nothing() -> None:
    assert resolve_text("Macron may call Putin", THURSDAY) is None
    assert find_date_mentions("They met in May") != []
    assert find_date_mentions("they may meet") == []


def test_impossible_days_are_ignored() -> None:
    assert resolve_text("on Feb 30", THURSDAY) is None


def test_mentions_carry_offsets_into_the_text() -> None:
    text = "Putin spoke with Macron on Tuesday and met Biden in 2021."
    mentions = find_date_mentions(text)
    assert [text[m.start : m.end] for m in mentions] == ["on Tuesday", "in 2021"]


def test_compatible_dates_at_a_coarser_granularity() -> None:
    day = resolve_text("on Feb 20", THURSDAY)
    month = resolve_text("in February", THURSDAY)
    other = resolve_text("on Feb 21", THURSDAY)
    assert day is not None and month is not None and other is not None
    assert day.compatible_with(month)
    assert not day.compatible_with(other)


@pytest.mark.parametrize(
    ("value", "granularity", "after"),
    [
        (date(2022, 7, 8), Granularity.DAY, False),  # the next day: time zones
        (date(2022, 7, 9), Granularity.DAY, True),
        (date(2022, 7, 1), Granularity.MONTH, False),  # "in July", reported in July
        (date(2022, 8, 1), Granularity.MONTH, True),  # "from next month"
        (date(2022, 7, 11), Granularity.WEEK, True),
        (date(2022, 1, 1), Granularity.YEAR, False),
        (date(2023, 1, 1), Granularity.YEAR, True),
    ],
)
def test_a_period_is_after_the_report_only_when_all_of_it_is(
    value: date, granularity: Granularity, after: bool
) -> None:
    assert ResolvedDate(value, granularity, "x").after(THURSDAY) is after
