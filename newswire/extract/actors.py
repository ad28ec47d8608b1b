"""Actors of a parsed sentence: the gazetteer's, then spaCy's named entities beyond it.

The gazetteer resolves what it knows to canonical ids. Everyone else named in the sentence (a
minister, an ambassador, a broadcaster, an agency, "European states") stays an actor too, with
a stable ``newswire:`` id made from its kind and name, so the same name always gets the same id.
"""

from __future__ import annotations

import re
from typing import Any

from newswire.extract.components import ACTOR_SPANS
from newswire.extract.gazetteer import Gazetteer, GazetteerEntry, strip_accents
from schemas.events import ActorKind

MAX_ACTORS = 4

_ENTITY_KINDS = {
    "PERSON": ActorKind.PERSON,
    "ORG": ActorKind.ORGANIZATION,
    "GPE": ActorKind.COUNTRY,
    "NORP": ActorKind.GROUP,
}
_MEDIA_WORDS = frozenset(
    {
        "news",
        "times",
        "post",
        "tv",
        "television",
        "radio",
        "agency",
        "journal",
        "gazette",
        "herald",
        "channel",
        "broadcaster",
        "telegraph",
        "guardian",
        "tribune",
        "press",
        "media",
        "daily",
    }
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?$")


def slug(text: str) -> str:
    """A lowercase ASCII slug of ``text`` ("Jean-Noël Barrot" -> "jean-noel-barrot")."""
    folded = strip_accents(text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", folded.lower()).strip("-")


def clean_entity_text(text: str) -> str:
    """An entity's name without a leading article or a trailing possessive."""
    return _POSSESSIVE.sub("", _LEADING.sub("", text.strip())).strip()


def entity_actor(label: str, text: str) -> GazetteerEntry | None:
    """An actor for a named entity the gazetteer does not hold, or None for other labels."""
    kind = _ENTITY_KINDS.get(label)
    name = clean_entity_text(text)
    if kind is None or not name or not name[0].isupper() or len(name) < 3:
        return None
    if kind is ActorKind.ORGANIZATION and _MEDIA_WORDS & set(name.lower().split()):
        kind = ActorKind.MEDIA
    key = slug(name)
    if not key:
        return None
    return GazetteerEntry(
        id=f"newswire:{kind.value}-{key}",
        name=name,
        kind=kind,
        role=None,
        country=None,
        western=False,
        aliases=(),
        titles=(),
        demonyms=(),
    )


def sentence_actors(
    doc: Any, gazetteer: Gazetteer
) -> tuple[tuple[GazetteerEntry, ...], tuple[str, ...]]:
    """The sentence's actors in text order (gazetteer first where both name the same words)."""
    found: list[tuple[int, GazetteerEntry, str]] = []
    taken: list[tuple[int, int]] = []
    for span in doc.spans[ACTOR_SPANS]:
        entry = gazetteer.get(span.kb_id_)
        if entry is not None:
            found.append((span.start_char, entry, str(span.text)))
            taken.append((span.start_char, span.end_char))
    for ent in doc.ents:
        if any(ent.start_char < end and start < ent.end_char for start, end in taken):
            continue
        entry = gazetteer.lookup(clean_entity_text(ent.text)) or entity_actor(ent.label_, ent.text)
        if entry is not None:
            found.append((ent.start_char, entry, str(ent.text)))
    found.sort(key=lambda item: item[0])
    actors: dict[str, tuple[GazetteerEntry, str]] = {}
    for _, entry, text in found:
        actors.setdefault(entry.id, (entry, text))
        if len(actors) == MAX_ACTORS:
            break
    entries = tuple(entry for entry, _ in actors.values())
    texts = tuple(text for _, text in actors.values())
    return entries, texts
