"""Merging repeated mentions into one event per real-world event, and deterministic event ids.

Pure logic over :class:`ArticleMention` records: mentions of the same type merge when their
participants agree (per type, see :func:`same_participants`), their dates are compatible and
both are (or both are not) historical background.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from newswire.extract.dates import ResolvedDate
from newswire.extract.gazetteer import GazetteerEntry
from schemas.articles import NormalizedArticle
from schemas.base import stable_id
from schemas.events import ActorKind, Event, EventType, Modality


@dataclass(frozen=True, slots=True)
class ArticleMention:
    """One event mention, placed in its article: evidence offsets are into the article text."""

    event_type: EventType
    actors: tuple[GazetteerEntry, ...]
    actor_texts: tuple[str, ...]
    modality: Modality
    trigger: str
    trigger_lemma: str
    evidence_start: int
    evidence_end: int
    date: ResolvedDate | None
    historical: bool
    location: str | None
    confidence: float


@dataclass(slots=True)
class EventCluster:
    """Mentions judged to be the same real-world event."""

    mentions: list[ArticleMention] = field(default_factory=list)

    @property
    def clearest(self) -> ArticleMention:
        """The clearest mention: a dated one before an undated one, then the most confident.

        ``max`` keeps the earliest among equals, so a lead sentence wins a tie.
        """
        return max(self.mentions, key=lambda m: (m.date is not None, m.confidence))

    @property
    def first(self) -> ArticleMention:
        """The earliest mention in the article."""
        return self.mentions[0]

    @property
    def date(self) -> ResolvedDate | None:
        """The first date any mention gives."""
        return next((m.date for m in self.mentions if m.date is not None), None)

    def actors(self) -> list[GazetteerEntry]:
        """The union of the mentions' actors, in order of appearance."""
        seen: dict[str, GazetteerEntry] = {}
        for mention in self.mentions:
            for entry in mention.actors:
                seen.setdefault(entry.id, entry)
        return list(seen.values())


def _countries(actors: Sequence[GazetteerEntry]) -> set[str]:
    return {entry.country or entry.id for entry in actors}


def same_participants(a: ArticleMention, b: ArticleMention) -> bool:
    """Whether two mentions of one type name the same participants, by the type's own rule."""
    ca, cb = _countries(a.actors), _countries(b.actors)
    if a.event_type is EventType.LEADER_CONTACT:
        pa = {e.id for e in a.actors if e.kind is ActorKind.PERSON}
        pb = {e.id for e in b.actors if e.kind is ActorKind.PERSON}
        if len(pa) >= 2 and len(pb) >= 2:
            return pa <= pb or pb <= pa
        return ca == cb
    if a.event_type is EventType.DIPLOMATIC_PROTEST:
        # Who protests matters: Kyiv summoning Budapest's envoy is not Budapest accusing Kyiv.
        if a.actors and b.actors and _countries(a.actors[:1]) != _countries(b.actors[:1]):
            return False
        return ca == cb or (bool(ca) and bool(cb) and (ca <= cb or cb <= ca))
    if a.event_type is EventType.SANCTIONS_OR_ASSETS:
        return ca == cb or (bool(ca) and bool(cb) and (ca <= cb or cb <= ca))
    if a.event_type is EventType.MILITARY_ACTION:
        if a.location and b.location:
            return a.location.casefold() == b.location.casefold()
        if a.location or b.location:
            return False
        return a.trigger_lemma == b.trigger_lemma and bool(ca & cb)
    return not ca or not cb or bool(ca & cb)


_MODALITY_GROUP = {
    Modality.ASSERTED: "factual",
    Modality.REPORTED: "factual",
    Modality.PLANNED: "planned",
    Modality.HYPOTHETICAL: "hypothetical",
    Modality.NEGATED: "negated",
}


def _dates_compatible(cluster: EventCluster, mention: ArticleMention) -> bool:
    date = cluster.date
    if date is None or mention.date is None:
        return True
    return date.compatible_with(mention.date)


def merge_mentions(mentions: Sequence[ArticleMention]) -> list[EventCluster]:
    """Group mentions into events, keeping article order; a mention joins the first match."""
    clusters: list[EventCluster] = []
    for mention in mentions:
        target = next(
            (
                cluster
                for cluster in clusters
                if cluster.first.event_type is mention.event_type
                and cluster.first.historical == mention.historical
                and _MODALITY_GROUP[cluster.first.modality] == _MODALITY_GROUP[mention.modality]
                and _dates_compatible(cluster, mention)
                and any(same_participants(m, mention) for m in cluster.mentions)
            ),
            None,
        )
        if target is None:
            clusters.append(EventCluster([mention]))
        else:
            target.mentions.append(mention)
    return clusters


def most_specific_actors(
    event_type: EventType,
    actors: Sequence[GazetteerEntry],
    country_entry: Callable[[str], GazetteerEntry | None],
) -> list[GazetteerEntry]:
    """The actors worth reporting, per type.

    Fighting is done by states: military actors become their country. Sanctions and
    deployments are decided by states or blocs: a person is dropped when their country is
    there too. Contacts, leaks and protests are about people: a country is dropped when one of
    its people is there.
    """
    if event_type is EventType.MILITARY_ACTION:
        mapped: dict[str, GazetteerEntry] = {}
        for entry in actors:
            if entry.kind in (ActorKind.INSTITUTION, ActorKind.PERSON) and entry.country:
                entry = country_entry(entry.country) or entry
            mapped.setdefault(entry.id, entry)
        return list(mapped.values())
    if event_type in (EventType.SANCTIONS_OR_ASSETS, EventType.TROOP_DEPLOYMENT):
        states = {e.country for e in actors if e.kind is not ActorKind.PERSON and e.country}
        return [e for e in actors if e.kind is not ActorKind.PERSON or e.country not in states]
    person_countries = {e.country for e in actors if e.kind is ActorKind.PERSON and e.country}
    return [
        entry
        for entry in actors
        if entry.kind is ActorKind.PERSON
        or entry.kind is ActorKind.ORGANIZATION
        or entry.country not in person_countries
    ]


def event_id_for(article_id: str, event_type: EventType, actor_ids: Sequence[str], key: str) -> str:
    """The deterministic id: article, type, sorted actor ids and a date (or trigger) key."""
    return stable_id(article_id, event_type.value, ",".join(sorted(actor_ids)), key)


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    """What events copy from their article."""

    article_id: str
    version: int = 1
    source_id: str | None = None
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    first_seen_at: datetime | None = None

    @classmethod
    def from_article(cls, article: NormalizedArticle) -> ArticleFacts:
        """The facts of a normalized article."""
        return cls(
            article_id=article.id,
            version=article.version,
            source_id=article.source_id,
            url=article.canonical_url or article.url,
            title=article.title,
            published_at=article.published_at,
            first_seen_at=article.first_seen_at,
        )


def build_events(
    facts: ArticleFacts,
    text: str,
    clusters: Sequence[EventCluster],
    *,
    extractor_version: str,
    extracted_at: datetime,
    country_entry: Callable[[str], GazetteerEntry | None],
    min_confidence: float = 0.0,
    published: date | None = None,
) -> list[Event]:
    """One :class:`Event` per cluster, with a deterministic, collision-free id."""
    events: list[Event] = []
    used: set[str] = set()
    for cluster in clusters:
        first = cluster.first
        clearest = cluster.clearest
        if published is None and facts.published_at is not None:
            published = facts.published_at.date()
        day = cluster.date.value if cluster.date is not None else published
        actors = most_specific_actors(first.event_type, cluster.actors(), country_entry)
        texts = {
            entry.id: text_
            for mention in cluster.mentions
            for entry, text_ in zip(mention.actors, mention.actor_texts, strict=False)
        }
        date = cluster.date
        key = (
            f"{date.value.isoformat()}/{date.granularity.value}"
            if date is not None
            else f"trigger:{first.trigger_lemma}:{first.location or ''}"
        )
        ids = [entry.id for entry in actors]
        event_id = event_id_for(facts.article_id, first.event_type, ids, key)
        ordinal = 2
        while event_id in used:
            event_id = event_id_for(facts.article_id, first.event_type, ids, f"{key}#{ordinal}")
            ordinal += 1
        used.add(event_id)
        confidence = min(
            0.97, max(m.confidence for m in cluster.mentions) + 0.03 * (len(cluster.mentions) - 1)
        )
        if confidence < min_confidence:
            continue
        events.append(
            Event(
                event_id=event_id,
                article_id=facts.article_id,
                article_version=facts.version,
                type=first.event_type,
                actors=tuple(entry.to_actor(texts.get(entry.id), on=day) for entry in actors),
                modality=clearest.modality,
                event_date=None if date is None else date.value,
                event_date_text=None if date is None else date.text,
                location=first.location,
                evidence=text[clearest.evidence_start : clearest.evidence_end],
                evidence_start=clearest.evidence_start,
                evidence_end=clearest.evidence_end,
                trigger=clearest.trigger,
                confidence=round(confidence, 2),
                historical=first.historical,
                mentions=len(cluster.mentions),
                source_id=facts.source_id,
                article_url=facts.url,
                article_title=facts.title,
                published_at=facts.published_at,
                first_seen_at=facts.first_seen_at,
                extracted_at=extracted_at,
                extractor_version=extractor_version,
            )
        )
    return events
