"""Resolving the actor terms of subscriptions (names, aliases, Wikidata ids).

When the extractor's gazetteer (``newswire.extract.gazetteer.load_gazetteer``) is available, a
term resolves to the gazetteer's actor: its id (a Wikidata QID or a ``newswire:`` id), its names
and aliases, and for a country its country code. Otherwise, and for terms the gazetteer does not
know, a term matches an event actor whose id, name or mention equals it, case-insensitively.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.events import ActorKind, ActorRef

log = logging.getLogger(__name__)

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


def _field(entry: Any, *names: str) -> Any:
    for name in names:
        value = entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)
        if value is not None:
            return value
    return None


def term_from_gazetteer_entry(text: str, entry: Any) -> ActorTerm:
    """An :class:`ActorTerm` from whatever actor object the gazetteer returns."""
    actor_id = _field(entry, "id", "qid")
    name = _field(entry, "name", "label")
    aliases = _field(entry, "aliases") or ()
    kind = _field(entry, "kind")
    country = _field(entry, "country")
    names = {text.casefold()}
    if isinstance(name, str):
        names.add(name.casefold())
    names.update(alias.casefold() for alias in aliases if isinstance(alias, str))
    is_country = str(getattr(kind, "value", kind)) == ActorKind.COUNTRY.value
    return ActorTerm(
        text=text,
        actor_id=actor_id if isinstance(actor_id, str) and _ACTOR_ID.match(actor_id) else None,
        names=frozenset(names),
        country=country if is_country and isinstance(country, str) else None,
    )


def gazetteer_resolver() -> Resolver | None:
    """A resolver backed by the extractor's gazetteer, or None when it is not available."""
    try:
        module = importlib.import_module("newswire.extract.gazetteer")
    except ImportError:
        return None
    load = getattr(module, "load_gazetteer", None)
    if load is None:
        return None
    gazetteer = load()
    lookup = None
    # ``lookup`` returns the full entry (with aliases); ``resolve`` only the actor.
    for method in ("lookup", "resolve"):
        lookup = getattr(gazetteer, method, None)
        if callable(lookup):
            break
    if lookup is None:
        log.warning("the gazetteer has no resolve/lookup method; matching actors by name only")
        return None
    resolve_entry: Callable[[str], Any] = lookup

    def resolve(text: str) -> ActorTerm | None:
        entry = resolve_entry(text)
        return term_from_gazetteer_entry(text, entry) if entry is not None else None

    return resolve


def resolve_term(text: str, resolver: Resolver | None) -> ActorTerm:
    """Resolve one term; unknown terms fall back to plain name matching."""
    if resolver is not None:
        resolved = resolver(text)
        if resolved is not None:
            return resolved
    return plain_term(text)
