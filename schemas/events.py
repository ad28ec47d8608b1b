"""``Event``: the payload of ``news.events.v1``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from schemas.articles import SourceId
from schemas.base import Contract

EventId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
# Articles ingested by newswire have 32-hex ids; `newswire extract` also takes articles from
# elsewhere whose ids are theirs, and its events must join back to them.
EventArticleId = Annotated[str, AfterValidator(lambda v: _non_blank(v, "article_id"))]


def _non_blank(value: str, name: str) -> str:
    if not value.strip() or len(value) > 512:
        raise ValueError(f"{name} must be 1 to 512 characters, not blank")
    return value


class EventType(StrEnum):
    """The kinds of event newswire extracts."""

    LEADER_CONTACT = "LEADER_CONTACT"
    CONFIDENTIAL_LEAK = "CONFIDENTIAL_LEAK"
    TROOP_DEPLOYMENT = "TROOP_DEPLOYMENT"
    DIPLOMATIC_PROTEST = "DIPLOMATIC_PROTEST"
    SANCTIONS_OR_ASSETS = "SANCTIONS_OR_ASSETS"
    MILITARY_ACTION = "MILITARY_ACTION"


@dataclass(frozen=True, slots=True)
class EventTypeCodes:
    """Where an event type sits in the PLOVER and CAMEO ontologies."""

    plover: str | None
    plover_mode: str | None
    cameo: tuple[str, ...]
    note: str


_CODES: dict[EventType, EventTypeCodes] = {
    EventType.LEADER_CONTACT: EventTypeCodes(
        "CONSULT", "meet|call", ("040", "041", "042", "043", "044", "046"), "consult, visit, call"
    ),
    EventType.CONFIDENTIAL_LEAK: EventTypeCodes(
        None, None, ("010",), "no PLOVER category; nearest CAMEO is a public statement"
    ),
    EventType.TROOP_DEPLOYMENT: EventTypeCodes(
        "AID", "military", ("074", "154"), "military protection, peacekeeping, forces mobilized"
    ),
    EventType.DIPLOMATIC_PROTEST: EventTypeCodes(
        "ACCUSE", None, ("111", "112", "164"), "criticize, accuse, summon an ambassador"
    ),
    EventType.SANCTIONS_OR_ASSETS: EventTypeCodes(
        "SANCTION", None, ("163",), "embargo, sanctions, frozen or seized assets"
    ),
    EventType.MILITARY_ACTION: EventTypeCodes(
        "ASSAULT", None, ("190", "193", "195"), "armed force: strikes, assaults, territory taken"
    ),
}


def event_type_codes(event_type: EventType) -> EventTypeCodes:
    """Return the PLOVER and CAMEO codes of an event type."""
    return _CODES[event_type]


class Modality(StrEnum):
    """How the text presents the event (PLOVER's modes, implemented)."""

    ASSERTED = "asserted"
    NEGATED = "negated"
    HYPOTHETICAL = "hypothetical"
    PLANNED = "planned"
    REPORTED = "reported"


class ActorKind(StrEnum):
    """What an actor is."""

    PERSON = "person"
    INSTITUTION = "institution"
    COUNTRY = "country"
    ORGANIZATION = "organization"
    GROUP = "group"
    MEDIA = "media"


class ActorRef(Contract):
    """An actor resolved against the gazetteer.

    ``id`` is a Wikidata QID when the gazetteer has one, otherwise a ``newswire:`` id.
    """

    id: Annotated[str, Field(pattern=r"^(Q[0-9]+|newswire:[a-z0-9_-]+)$")]
    name: str
    kind: ActorKind = ActorKind.PERSON
    role: str | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2,3}$")] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code, or a 3-letter code for blocs (EU)."
    )
    mention: str | None = Field(default=None, description="The text as written in the article.")


class Event(Contract):
    """One real-world event reported by one article.

    ``event_id`` is deterministic: the same article re-extracted yields the same ids, so Kafka
    keys and Elasticsearch document ids make every stage replayable without duplicates.
    """

    schema_version: Literal[1] = 1
    event_id: EventId
    article_id: EventArticleId
    article_version: Annotated[int, Field(ge=1)] = 1
    type: EventType
    actors: tuple[ActorRef, ...]
    modality: Modality
    event_date: date | None = None
    event_date_text: str | None = Field(
        default=None, description="The words the event date was resolved from."
    )
    location: str | None = Field(default=None, description="Where it happens, e.g. 'Ukraine'.")
    evidence: str
    evidence_start: Annotated[int, Field(ge=0)]
    evidence_end: Annotated[int, Field(ge=0)]
    trigger: str | None = None
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    historical: bool = Field(
        default=False, description="Background the article recalls, not news of the day."
    )
    mentions: Annotated[int, Field(ge=1)] = Field(
        default=1, description="How many mentions in the article were merged into this event."
    )
    source_id: SourceId | None = None
    article_url: str | None = None
    article_title: str | None = None
    published_at: AwareDatetime | None = None
    first_seen_at: AwareDatetime | None = Field(
        default=None, description="When the article was first seen; fixes the monthly index."
    )
    extracted_at: AwareDatetime | None = None
    extractor_version: str | None = None

    @model_validator(mode="after")
    def _evidence_span_is_ordered(self) -> Event:
        if self.evidence_end < self.evidence_start:
            raise ValueError("evidence_end must not be before evidence_start")
        return self
