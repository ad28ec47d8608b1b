"""Resolving the actor terms of subscriptions (names, aliases, Wikidata ids).

Through the extractor's public gazetteer API (``newswire.extract.gazetteer.load_gazetteer`` and
``Gazetteer.lookup``) a term resolves to the gazetteer's actor: its id (a Wikidata QID or a
``newswire:`` id), its names and aliases, and for a country its country code. A term the
gazetteer does not know matches an event actor whose id, name or mention equals it,
case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from newswire.extract.gazetteer import Gazetteer, GazetteerEntry, load_gazetteer
from schemas.events import ActorKind, ActorRef

Resolver = Callable[[str], "ActorTerm | None"]
_ACTOR_ID = re.compile(r"^(Q[0-9]+|newswire:[a-z0-9_-]+)$")


@dataclass(frozen=True, slots=True)
class ActorTerm:
    """A subscription's actor term, resolved as far as the gazetteer allows."""

    text: str
    actor_id: str | None = None
    names: frozenset[str] = frozenset()
    country: str | None = None

    def matches(self, actor: ActorRef) -> bool:
        """Whether ``actor`` is this term (a country term also covers actors of that country)."""
        if self.actor_id is not None and actor.id == self.actor_id:
            return True
        wanted = self.names | {self.text.casefold()}
        seen = {actor.id.casefold(), actor.name.casefold()}
        if actor.mention:
            seen.add(actor.mention.casefold())
        if wanted & seen:
            return True
        # A one-word term names a person by surname ("Putin" for "Vladimir Putin").
        if actor.kind is ActorKind.PERSON and " " not in self.text.strip():
            parts = actor.name.casefold().split()
            if len(parts) > 1 and parts[-1] == self.text.strip().casefold():
                return True
        return self.country is not None and actor.country == self.country


def plain_term(text: str) -> ActorTerm:
    """A term matched by id, name or mention only (no gazetteer)."""
    return ActorTerm(text=text, names=frozenset({text.casefold()}))


def term_from_gazetteer_entry(text: str, entry: GazetteerEntry) -> ActorTerm:
    """An :class:`ActorTerm` from the gazetteer's entry: its id, names and aliases, its country."""
    names = {text.casefold(), entry.name.casefold()}
    names.update(alias.casefold() for alias in entry.aliases)
    return ActorTerm(
        text=text,
        actor_id=entry.id if _ACTOR_ID.match(entry.id) else None,
        names=frozenset(names),
        country=entry.country if entry.kind is ActorKind.COUNTRY else None,
    )


def gazetteer_resolver(gazetteer: Gazetteer | None = None) -> Resolver:
    """A resolver backed by the extractor's gazetteer (the packaged one by default)."""
    chosen = gazetteer if gazetteer is not None else load_gazetteer()

    def resolve(text: str) -> ActorTerm | None:
        entry = chosen.lookup(text)
        return term_from_gazetteer_entry(text, entry) if entry is not None else None

    return resolve


def resolve_term(text: str, resolver: Resolver | None) -> ActorTerm:
    """Resolve one term; unknown terms fall back to plain name matching."""
    if resolver is not None:
        resolved = resolver(text)
        if resolved is not None:
            return resolved
    return plain_term(text)
