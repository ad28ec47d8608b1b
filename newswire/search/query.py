"""The search request for events, built from the command's arguments (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newswire.errors import NewswireError
from schemas.events import EventType, Modality

# Highlight markers that cannot occur in news text, so rendering never confuses them with it.
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"

TEXT_FIELDS = ("evidence^3", "article_title^2", "actors.name^2", "location", "trigger")

_SINCE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class QueryError(NewswireError):
    """An argument of ``newswire search`` is not valid."""


@dataclass(frozen=True, slots=True)
class EventQuery:
    """What the analyst asked for."""

    text: str = ""
    event_type: EventType | None = None
    actor: str | None = None
    modality: Modality | None = None
    since: timedelta | None = None


def parse_since(text: str) -> timedelta:
    """``"7d"``, ``"24h"``, ``"30m"``, ``"2w"`` as a duration."""
    match = _SINCE.match(text)
    if match is None or int(match.group(1)) == 0:
        raise QueryError(f"--since {text!r}: expected a positive number and m, h, d or w (7d)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_event_type(text: str) -> EventType:
    """An event type, case-insensitive (``leader_contact`` or ``LEADER_CONTACT``)."""
    try:
        return EventType(text.strip().upper())
    except ValueError:
        known = ", ".join(t.value for t in EventType)
        raise QueryError(f"--type {text!r}: expected one of {known}") from None


def parse_modality(text: str) -> Modality:
    """A modality, case-insensitive."""
    try:
        return Modality(text.strip().lower())
    except ValueError:
        known = ", ".join(m.value for m in Modality)
        raise QueryError(f"--modality {text!r}: expected one of {known}") from None


def _actor_filter(actor: str) -> dict[str, Any]:
    # An actor is a Wikidata id, a newswire id or a name; any of them matches.
    return {
        "bool": {
            "should": [
                {"term": {"actors.id": actor.strip()}},
                {"term": {"actors.name.lower": actor.strip().lower()}},
                {"match_phrase": {"actors.name": actor}},
            ],
            "minimum_should_match": 1,
        }
    }


def _since_filter(start: datetime) -> dict[str, Any]:
    # Events without a publication date count from when their article was first seen.
    bound = start.isoformat()
    return {
        "bool": {
            "should": [
                {"range": {"published_at": {"gte": bound}}},
                {
                    "bool": {
                        "must_not": [{"exists": {"field": "published_at"}}],
                        "filter": [{"range": {"first_seen_at": {"gte": bound}}}],
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def build_search(query: EventQuery, *, now: datetime, size: int) -> dict[str, Any]:
    """The body of the ``_search`` request (query, filters, sort, evidence highlighting)."""
    must: list[dict[str, Any]] = []
    if query.text.strip():
        must.append(
            {
                "simple_query_string": {
                    "query": query.text,
                    "fields": list(TEXT_FIELDS),
                    "default_operator": "and",
                }
            }
        )
    filters: list[dict[str, Any]] = []
    if query.event_type is not None:
        filters.append({"term": {"type": query.event_type.value}})
    if query.modality is not None:
        filters.append({"term": {"modality": query.modality.value}})
    if query.actor:
        filters.append(_actor_filter(query.actor))
    if query.since is not None:
        filters.append(_since_filter(now - query.since))
    newest_first = [
        {"published_at": {"order": "desc", "missing": "_last"}},
        {"first_seen_at": {"order": "desc", "missing": "_last"}},
        {"event_id": {"order": "asc"}},
    ]
    return {
        "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filters}},
        "sort": (["_score", *newest_first] if must else newest_first),
        "size": size,
        "track_total_hits": True,
        "highlight": {
            "pre_tags": [HIGHLIGHT_START],
            "post_tags": [HIGHLIGHT_END],
            "fields": {"evidence": {"number_of_fragments": 0}},
        },
    }
