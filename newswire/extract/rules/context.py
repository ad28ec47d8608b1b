"""What a rule receives (:class:`TriggerContext`) and returns (:class:`RuleOutcome`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newswire.extract.gazetteer import GazetteerEntry
from schemas.events import EventType

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token


@dataclass(frozen=True, slots=True)
class ActorHit:
    """A gazetteer actor found in a sentence: its entry and token span."""

    entry: GazetteerEntry
    start: int
    end: int
    text: str
    root: int


@dataclass(slots=True)
class TriggerContext:
    """Everything a rule needs to decide one trigger."""

    doc: Doc
    trigger: Token
    event_type: EventType
    actors: Sequence[ActorHit]
    context_actors: Sequence[GazetteerEntry] = ()
    western_countries: frozenset[str] = frozenset()
    country_entries: Mapping[str, GazetteerEntry] = field(default_factory=dict)
    _by_token: dict[int, ActorHit] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for hit in self.actors:
            for index in range(hit.start, hit.end):
                self._by_token[index] = hit

    def actor_at(self, token: Token) -> ActorHit | None:
        """The actor covering a token, if any."""
        return self._by_token.get(token.i)

    def actors_in(self, indices: Iterable[int]) -> list[ActorHit]:
        """Actors whose root token lies in ``indices``, in sentence order, without repeats."""
        chosen = set(indices)
        return [hit for hit in self.actors if hit.root in chosen]


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What a rule found: the participants, where, and how sure it is."""

    actors: tuple[GazetteerEntry, ...]
    mentions: tuple[str, ...]
    confidence: float
    location: str | None = None


def dedupe(
    entries: Iterable[tuple[GazetteerEntry, str]],
) -> tuple[list[GazetteerEntry], list[str]]:
    """The entries without repeats (first mention wins), with the text of each."""
    seen: set[str] = set()
    out: list[GazetteerEntry] = []
    texts: list[str] = []
    for entry, text in entries:
        if entry.id not in seen:
            seen.add(entry.id)
            out.append(entry)
            texts.append(text)
    return out, texts


def make_outcome(
    pairs: Iterable[tuple[GazetteerEntry, str]], confidence: float, location: str | None = None
) -> RuleOutcome:
    """An outcome of the deduplicated participants; confidence is capped below certainty."""
    entries, texts = dedupe(pairs)
    return RuleOutcome(tuple(entries), tuple(texts), round(min(confidence, 0.97), 2), location)


def country_of(entry: GazetteerEntry) -> str:
    """The country an actor belongs to (a country is its own)."""
    return entry.country or entry.id
