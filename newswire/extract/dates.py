"""Finding date expressions in a sentence and resolving them against the publication date.

Pure logic: "on Tuesday", "Feb 20", "last week", "in 2017", "2024-03-20", "yesterday". A
relative expression without a publication date resolves to nothing (the text does not say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_MONTH = (
    r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>[0-3]?[0-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)[0-9]{2})"
_WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

# Order matters: longer, more specific expressions first; matches never overlap.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b(?P<year>(?:19|20)[0-9]{2})-(?P<m>[01][0-9])-(?P<d>[0-3][0-9])\b")),
    ("month_day", re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?")),
    ("day_month", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR}\b)?")),
    ("month_year", re.compile(rf"\b{_MONTH}\s+{_YEAR}\b")),
    (
        "weekday",
        re.compile(
            rf"\b(?:(?P<rel>[Ll]ast|[Nn]ext|[Tt]his|[Oo]n|[Ee]arly|[Ll]ate)\s+)?{_WEEKDAY}\b"
        ),
    ),
    (
        "relative",
        re.compile(
            r"\b(?P<rel>today|tonight|this morning|this afternoon|this evening|yesterday|tomorrow"
            r"|earlier this week|later this week|this week|last week|next week|last weekend"
            r"|this weekend|next weekend|last month|next month|this month|earlier this month"
            r"|later this month|last year|next year|this year|earlier this year"
            r"|a day earlier|the day before|the previous day|a day before)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "ago",
        re.compile(
            r"\b(?P<n>[0-9]+|one|two|three|four|five|six|seven|eight|nine|ten|a)\s+"
            r"(?P<unit>days?|weeks?|months?|years?)\s+ago\b",
            re.IGNORECASE,
        ),
    ),
    (
        "in_month",
        re.compile(
            rf"\b(?:[Ii]n|[Ee]arly|[Ll]ate|[Mm]id-?|[Aa]n?|[Tt]he|[Ll]ast|[Tt]his)\s+"
            rf"(?:(?:early|late|mid-?)\s*)?{_MONTH}(?!\s*[0-9])"
        ),
    ),
    (
        "year",
        re.compile(
            # "since 2022", "by 2030" bound a period; they do not date an event.
            rf"\b(?:[Ii]n|[Dd]uring|[Ee]arly|[Ll]ate|[Bb]ack in)\s+"
            rf"(?:(?:early|late|mid-?)\s*)?{_YEAR}\b"
        ),
    ),
)


class Granularity(StrEnum):
    """How precise a resolved date is."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date expression found in a text, with character offsets into that text."""

    text: str
    start: int
    end: int
    kind: str


@dataclass(frozen=True, slots=True)
class ResolvedDate:
    """A calendar date resolved from an expression; ``value`` is the first day at month/year."""

    value: date
    granularity: Granularity
    text: str

    def after(self, published: date) -> bool:
        """Whether the whole period lies after ``published`` ("next month" in a March report).

        A day must be more than one day ahead: a report dated in one time zone often describes
        the next calendar day's events in another.
        """
        if self.granularity is Granularity.DAY:
            return self.value > published + timedelta(days=1)
        return _truncate(self.value, self.granularity) > _truncate(published, self.granularity)

    def compatible_with(self, other: ResolvedDate) -> bool:
        """Whether both could denote the same day, at the coarser of the two granularities."""
        coarse = max(self.granularity, other.granularity, key=_GRANULARITY_ORDER.index)
        return _truncate(self.value, coarse) == _truncate(other.value, coarse)


_GRANULARITY_ORDER = [Granularity.DAY, Granularity.WEEK, Granularity.MONTH, Granularity.YEAR]


def _truncate(value: date, granularity: Granularity) -> date:
    if granularity is Granularity.YEAR:
        return date(value.year, 1, 1)
    if granularity is Granularity.MONTH:
        return date(value.year, value.month, 1)
    if granularity is Granularity.WEEK:
        return value - timedelta(days=value.weekday())
    return value


def find_date_mentions(text: str) -> list[DateMention]:
    """Every date expression in ``text``, left to right, without overlaps."""
    taken: list[tuple[int, int]] = []
    found: list[DateMention] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(DateMention(match.group(0), start, end, kind))
    found.sort(key=lambda mention: mention.start)
    return found


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_number(token: str) -> int:
    return _MONTHS[token[:3].lower()]


def _year_for(month: int, day: int, published: date, *, future: bool) -> date | None:
    candidate = _safe_date(published.year, month, day)
    if candidate is None:
        return None
    if future and candidate < published - timedelta(days=7):
        return _safe_date(published.year + 1, month, day)
    if not future and candidate > published + timedelta(days=7):
        return _safe_date(published.year - 1, month, day)
    return candidate


def _resolve_weekday(rel: str, weekday: int, published: date, *, future: bool) -> date:
    rel = rel.lower()
    back = (published.weekday() - weekday) % 7
    ahead = (weekday - published.weekday()) % 7
    if rel == "last":
        return published - timedelta(days=back or 7)
    if rel == "next":
        return published + timedelta(days=ahead or 7)
    if rel == "this":
        return published + timedelta(days=ahead) if future else published - timedelta(days=back)
    return published + timedelta(days=ahead) if future else published - timedelta(days=back)


def _resolve_relative(rel: str, published: date) -> ResolvedDate | None:
    rel = rel.lower()
    day = Granularity.DAY
    week = Granularity.WEEK
    month = Granularity.MONTH
    year = Granularity.YEAR
    table: dict[str, tuple[date, Granularity]] = {
        "today": (published, day),
        "tonight": (published, day),
        "this morning": (published, day),
        "this afternoon": (published, day),
        "this evening": (published, day),
        "yesterday": (published - timedelta(days=1), day),
        "tomorrow": (published + timedelta(days=1), day),
        "this week": (published, week),
        "earlier this week": (published, week),
        "later this week": (published, week),
        "last week": (published - timedelta(days=7), week),
        "next week": (published + timedelta(days=7), week),
        "last weekend": (published - timedelta(days=(published.weekday() + 2) % 7 or 7), day),
        "this weekend": (published + timedelta(days=(5 - published.weekday()) % 7), day),
        "next weekend": (published + timedelta(days=(5 - published.weekday()) % 7 + 7), day),
        "this month": (date(published.year, published.month, 1), month),
        "earlier this month": (date(published.year, published.month, 1), month),
        "later this month": (date(published.year, published.month, 1), month),
        "last month": ((date(published.year, published.month, 1) - timedelta(days=1)), month),
        "next month": ((date(published.year, published.month, 28) + timedelta(days=5)), month),
        "this year": (date(published.year, 1, 1), year),
        "earlier this year": (date(published.year, 1, 1), year),
        "last year": (date(published.year - 1, 1, 1), year),
        "next year": (date(published.year + 1, 1, 1), year),
        "a day earlier": (published - timedelta(days=1), day),
        "a day before": (published - timedelta(days=1), day),
        "the day before": (published - timedelta(days=1), day),
        "the previous day": (published - timedelta(days=1), day),
    }
    if rel not in table:
        return None
    value, granularity = table[rel]
    return ResolvedDate(_truncate(value, granularity), granularity, rel)


def resolve_date(
    mention: DateMention, published: date | None, *, future: bool = False
) -> ResolvedDate | None:
    """Resolve one expression against the publication date.

    ``future`` says the event is announced for later ("will meet on Friday"), which decides
    whether a bare weekday or month-day lies before or after publication. Returns None when the
    expression needs a publication date that is unknown, or names an impossible day.
    """
    groups = _PATTERNS_BY_KIND[mention.kind].fullmatch(mention.text)
    if groups is None:  # pragma: no cover - mentions come from the same patterns
        return None
    g = groups.groupdict()
    text = mention.text
    if mention.kind == "iso":
        value = _safe_date(int(g["year"]), int(g["m"]), int(g["d"]))
        return None if value is None else ResolvedDate(value, Granularity.DAY, text)
    if mention.kind in ("month_day", "day_month"):
        month, day = _month_number(g["month"]), int(g["day"])
        if g.get("year"):
            value = _safe_date(int(g["year"]), month, day)
        elif published is not None:
            value = _year_for(month, day, published, future=future)
        else:
            value = None
        return None if value is None else ResolvedDate(value, Granularity.DAY, text)
    if mention.kind == "month_year":
        return ResolvedDate(
            date(int(g["year"]), _month_number(g["month"]), 1), Granularity.MONTH, text
        )
    if mention.kind == "year":
        return ResolvedDate(date(int(g["year"]), 1, 1), Granularity.YEAR, text)
    if published is None:
        return None
    if mention.kind == "in_month":
        month = _month_number(g["month"])
        year = published.year
        if future and month < published.month:
            year += 1
        elif not future and month > published.month:
            year -= 1
        return ResolvedDate(date(year, month, 1), Granularity.MONTH, text)
    if mention.kind == "weekday":
        rel = g.get("rel") or "on"
        value = _resolve_weekday(rel, _WEEKDAYS[g["weekday"].lower()], published, future=future)
        return ResolvedDate(value, Granularity.DAY, text)
    if mention.kind == "relative":
        resolved = _resolve_relative(g["rel"], published)
        return (
            None if resolved is None else ResolvedDate(resolved.value, resolved.granularity, text)
        )
    if mention.kind == "ago":
        raw = g["n"].lower()
        count = 1 if raw == "a" else _NUMBERS.get(raw) or int(raw)
        unit = g["unit"].lower().rstrip("s")
        if unit == "day":
            return ResolvedDate(published - timedelta(days=count), Granularity.DAY, text)
        if unit == "week":
            return ResolvedDate(
                _truncate(published - timedelta(days=7 * count), Granularity.WEEK),
                Granularity.WEEK,
                text,
            )
        if unit == "month":
            month_index = published.year * 12 + published.month - 1 - count
            return ResolvedDate(
                date(month_index // 12, month_index % 12 + 1, 1), Granularity.MONTH, text
            )
        return ResolvedDate(date(published.year - count, 1, 1), Granularity.YEAR, text)
    return None  # pragma: no cover - every kind is handled above


_PATTERNS_BY_KIND = dict(_PATTERNS)


def resolve_text(text: str, published: date | None, *, future: bool = False) -> ResolvedDate | None:
    """Resolve the first date expression of ``text`` (a convenience for callers and tests)."""
    for mention in find_date_mentions(text):
        resolved = resolve_date(mention, published, future=future)
        if resolved is not None:
            return resolved
    return None
