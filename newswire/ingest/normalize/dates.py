"""Dates: parsing the many spellings of a publication date into aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|$|-)")


def parse_datetime(value: str) -> datetime | None:
    """An aware datetime from an ISO-like date string (naive values are taken as UTC)."""
    text = value.strip()
    if not text:
        return None
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed_or_none = _parse_loose_datetime(text)
        if parsed_or_none is None:
            return None
        parsed = parsed_or_none
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed


def _parse_loose_datetime(text: str) -> datetime | None:
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return datetime(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(text)  # RFC 2822, as in feeds and HTTP headers
    except (TypeError, ValueError, IndexError):
        return None


def date_from_url(url: str | None) -> datetime | None:
    """A publication date spelled in a URL path (``/2024/03/20/``), as UTC midnight."""
    if not url:
        return None
    match = _URL_DATE_RE.search(url)
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None
