"""Developments: the real-world happenings that many reported events describe (pure logic).

Events of one development have the same type and the same actor set, dates within a window of
the development's anchor date, and overlapping evidence. A development id is deterministic: a
hash of the type, the sorted actor ids, the anchor date and a slot number (a second, unrelated
development of the same actors on the same day takes the next slot). Looking a development up is
therefore a realtime ``mget`` of a few ids, never a search that waits for a refresh.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, Field

from schemas.base import Contract, stable_id
from schemas.events import ActorRef, Event, EventType, Modality

SLOTS_PER_DAY = 3
MAX_EVIDENCE = 20
MAX_SOURCE_URLS = 100
MAX_TOKENS = 400
MAX_SOURCES = 100_000

# How strongly a text commits to the event. Reported ("according to officials, X called Y") and
# asserted are the same level: going from one to the other is not news.
_LEVEL: dict[Modality, int] = {
    Modality.NEGATED: 0,
    Modality.HYPOTHETICAL: 1,
    Modality.PLANNED: 2,
    Modality.REPORTED: 3,
    Modality.ASSERTED: 3,
}
_RANK: dict[Modality, int] = {
    Modality.NEGATED: 0,
    Modality.HYPOTHETICAL: 1,
    Modality.PLANNED: 2,
    Modality.REPORTED: 3,
    Modality.ASSERTED: 4,
}

_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "there",
        "they",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "would",
        "said",
        "says",
        "say",
        "after",
        "before",
        "about",
        "over",
        "than",
        "then",
        "also",
        "not",
        "but",
        "who",
        "which",
        "while",
        "when",
        "where",
        "what",
        "new",
        "one",
        "two",
    ]
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class AlertMark(Contract):
    """The last version of a development a subscription was alerted about."""

    subscription_id: str
    version: Annotated[int, Field(ge=1)]
    modality: Modality


class Development(Contract):
    """The stored state of one development (one document of the developments index)."""

    schema_version: Literal[1] = 1
    development_id: str
    type: EventType
    actor_key: str
    actors: tuple[ActorRef, ...]
    anchor_date: date | None
    slot: Annotated[int, Field(ge=0)]
    version: Annotated[int, Field(ge=1)] = 1
    modality: Modality
    event_ids: tuple[str, ...]
    source_keys: tuple[str, ...]
    source_urls: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    evidence_tokens: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    max_confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    first_event_id: str
    last_event_id: str
    created_at: AwareDatetime
    updated_at: AwareDatetime
    alerts: tuple[AlertMark, ...] = ()

    @property
    def source_count(self) -> int:
        """Independent sources that reported the development."""
        return len(self.source_keys)

    def alert_mark(self, subscription_id: str) -> AlertMark | None:
        """What ``subscription_id`` was last alerted about, if anything."""
        for mark in self.alerts:
            if mark.subscription_id == subscription_id:
                return mark
        return None

    def with_alert(self, subscription_id: str) -> Development:
        """The development, recording that ``subscription_id`` was alerted at its version."""
        marks = [m for m in self.alerts if m.subscription_id != subscription_id]
        marks.append(
            AlertMark(subscription_id=subscription_id, version=self.version, modality=self.modality)
        )
        return self.model_copy(update={"alerts": tuple(marks)})


@dataclass(frozen=True, slots=True)
class ModalityChange:
    """A change of modality that matters (the text commits more strongly than before)."""

    before: Modality
    after: Modality

    def describe(self) -> str:
        """One line for the follow-up alert."""
        return f"modality changed from {self.before.value} to {self.after.value}"


@dataclass(frozen=True, slots=True)
class FoldResult:
    """A development after one event was folded into it."""

    development: Development
    applied: bool
    created: bool
    modality_change: ModalityChange | None


def before_its_date(event: Event, event_day: date | None) -> bool:
    """Whether ``event`` was published before ``event_day`` (the day the event is about)."""
    if event_day is None or event.published_at is None:
        return False
    return event.published_at.date() < event_day


def effective_modality(event: Event, event_day: date | None) -> Modality:
    """The modality a report can stand for, given the day the event is about.

    An "it happened" published before that day can only announce it: it counts as planned (the
    report still corroborates the development).
    """
    if _LEVEL[event.modality] == _LEVEL[Modality.ASSERTED] and before_its_date(event, event_day):
        return Modality.PLANNED
    return event.modality


def modality_change(before: Modality, after: Modality) -> ModalityChange | None:
    """The change from ``before`` to ``after`` when it matters (a higher level), else None."""
    if _LEVEL[after] > _LEVEL[before]:
        return ModalityChange(before, after)
    return None


@lru_cache(maxsize=4096)
def evidence_tokens(text: str) -> frozenset[str]:
    """The content words of an evidence sentence, lower-cased."""
    return frozenset(
        word
        for word in (match.group(0).lower() for match in _WORD.finditer(text))
        if len(word) > 2 and word not in _STOPWORDS
    )


def evidence_overlap(first: Iterable[str], second: Iterable[str]) -> float:
    """Overlap coefficient of two token sets: shared words over the smaller set."""
    a, b = set(first), set(second)
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def actor_key(event: Event) -> str:
    """The actor set of an event as a stable string (sorted unique actor ids)."""
    return "|".join(sorted({actor.id for actor in event.actors}))


def anchor_date(event: Event) -> date | None:
    """The date an event is about: its event date, else the day it was published or seen."""
    if event.event_date is not None:
        return event.event_date
    for moment in (event.published_at, event.first_seen_at):
        if isinstance(moment, datetime):
            return moment.date()
    return None


def development_id(event_type: EventType, key: str, anchor: date | None, slot: int) -> str:
    """The deterministic id of the development of ``slot`` on ``anchor``."""
    day = anchor.isoformat() if anchor is not None else "undated"
    return stable_id("development", event_type.value, key, day, str(slot))


def candidate_ids(event: Event, window_days: int) -> list[str]:
    """Ids of every development the event could belong to, nearest date first."""
    key = actor_key(event)
    anchor = anchor_date(event)
    if anchor is None:
        return [development_id(event.type, key, None, slot) for slot in range(SLOTS_PER_DAY)]
    offsets = sorted(range(-window_days, window_days + 1), key=lambda d: (abs(d), d))
    return [
        development_id(event.type, key, anchor + timedelta(days=offset), slot)
        for offset in offsets
        for slot in range(SLOTS_PER_DAY)
    ]


def candidate_days(event: Event, window_days: int) -> list[date | None]:
    """The anchor days a development of ``event`` could have, nearest first."""
    anchor = anchor_date(event)
    if anchor is None:
        return [None]
    offsets = sorted(range(-window_days, window_days + 1), key=lambda d: (abs(d), d))
    return [anchor + timedelta(days=offset) for offset in offsets]


def present_candidate_ids(
    event: Event, window_days: int, present: Callable[[str], bool]
) -> list[str]:
    """The ids of :func:`candidate_ids` that can exist, given which ids ``present`` knows.

    Slots of a day are taken in order (:func:`free_slot`), so slot ``k + 1`` of a day exists
    only when slot ``k`` does: the ids after the first absent slot of a day are left out. This
    spares most of the hashing and of the ``mget`` of a batch of new developments.
    """
    key = actor_key(event)
    ids: list[str] = []
    for day in candidate_days(event, window_days):
        for slot in range(SLOTS_PER_DAY):
            dev_id = development_id(event.type, key, day, slot)
            ids.append(dev_id)
            if not present(dev_id):
                break
    return ids


def source_key(event: Event) -> str:
    """What makes a source independent: its source id, else its web host, else the article."""
    if event.source_id:
        return f"source:{event.source_id}"
    if event.article_url:
        host = urlsplit(event.article_url).hostname
        if host:
            return f"host:{host.removeprefix('www.')}"
    return f"article:{event.article_id}"


def _distance_days(development: Development, anchor: date | None) -> int:
    if development.anchor_date is None or anchor is None:
        return 0
    return abs((development.anchor_date - anchor).days)


def choose_development(
    event: Event, candidates: Sequence[Development], *, window_days: int, overlap_min: float
) -> Development | None:
    """The development the event belongs to among ``candidates``, or None for a new one."""
    key = actor_key(event)
    anchor = anchor_date(event)
    tokens = evidence_tokens(event.evidence)
    best: tuple[float, int, Development] | None = None
    for candidate in candidates:
        if candidate.type != event.type or candidate.actor_key != key:
            continue
        if event.event_id in candidate.event_ids:
            return candidate
        distance = _distance_days(candidate, anchor)
        if distance > window_days:
            continue
        overlap = evidence_overlap(tokens, candidate.evidence_tokens)
        if overlap < overlap_min:
            continue
        score = (overlap, -distance, candidate)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best is not None else None


def free_slot(event: Event, taken_ids: Iterable[str]) -> tuple[str, int] | None:
    """The id and slot of a new development for ``event``, or None when every slot is taken."""
    taken = set(taken_ids)
    anchor = anchor_date(event)
    key = actor_key(event)
    for slot in range(SLOTS_PER_DAY):
        candidate = development_id(event.type, key, anchor, slot)
        if candidate not in taken:
            return candidate, slot
    return None


def _append_capped(items: tuple[str, ...], new: Iterable[str], cap: int) -> tuple[str, ...]:
    result = list(items)
    for item in new:
        if item not in result and len(result) < cap:
            result.append(item)
    return tuple(result)


def _stronger(first: Modality, second: Modality) -> Modality:
    return second if _RANK[second] > _RANK[first] else first


def start_development(event: Event, dev_id: str, slot: int, now: datetime) -> Development:
    """A new development founded by ``event``."""
    return Development(
        development_id=dev_id,
        type=event.type,
        actor_key=actor_key(event),
        actors=event.actors,
        anchor_date=anchor_date(event),
        slot=slot,
        modality=effective_modality(event, anchor_date(event)),
        event_ids=(event.event_id,),
        source_keys=(source_key(event),),
        source_urls=(event.article_url,) if event.article_url else (),
        evidence=(event.evidence,),
        evidence_tokens=tuple(sorted(evidence_tokens(event.evidence)))[:MAX_TOKENS],
        locations=(event.location,) if event.location else (),
        max_confidence=event.confidence,
        first_event_id=event.event_id,
        last_event_id=event.event_id,
        created_at=now,
        updated_at=now,
    )


def fold_event(development: Development, event: Event, now: datetime) -> FoldResult:
    """Fold one more report into a development.

    A report already folded in changes nothing (replays are no-ops). A report of a stronger
    modality level bumps the development's version: that is what triggers a follow-up alert.
    A report that says it happened but was published before the development's date cannot
    mean it happened (no follow-up): it is kept as corroboration only.
    """
    if event.event_id in development.event_ids:
        return FoldResult(development, applied=False, created=False, modality_change=None)
    event_day = development.anchor_date
    if event.event_date is not None and (event_day is None or event.event_date > event_day):
        event_day = event.event_date
    modality = effective_modality(event, event_day)
    change = modality_change(development.modality, modality)
    updated = development.model_copy(
        update={
            "version": development.version + (1 if change is not None else 0),
            "modality": _stronger(development.modality, modality),
            "event_ids": (*development.event_ids, event.event_id),
            "source_keys": _append_capped(
                development.source_keys, [source_key(event)], MAX_SOURCES
            ),
            "source_urls": _append_capped(
                development.source_urls,
                [event.article_url] if event.article_url else [],
                MAX_SOURCE_URLS,
            ),
            "evidence": _append_capped(development.evidence, [event.evidence], MAX_EVIDENCE),
            # First-seen order: when the cap is reached, the words of the first reports stay.
            "evidence_tokens": _append_capped(
                development.evidence_tokens, sorted(evidence_tokens(event.evidence)), MAX_TOKENS
            ),
            "locations": _append_capped(
                development.locations, [event.location] if event.location else [], 20
            ),
            "max_confidence": max(development.max_confidence, event.confidence),
            "last_event_id": event.event_id,
            "updated_at": now,
        }
    )
    return FoldResult(updated, applied=True, created=False, modality_change=change)
