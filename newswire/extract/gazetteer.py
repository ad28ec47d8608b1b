"""The actor gazetteer: canonical ids, names, aliases, titles and demonyms, kept as YAML data.

Pure (no spaCy): other stages, such as the alerter resolving subscription actor names, use
:func:`load_gazetteer` and :meth:`Gazetteer.resolve`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newswire.errors import NewswireError
from newswire.validation import first_error
from schemas.events import ActorKind, ActorRef

DEFAULT_GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.yaml"

_ID_PATTERN = r"^(Q[0-9]+|newswire:[a-z0-9_-]+)$"
_COUNTRY_PATTERN = r"^[A-Z]{2,3}$"


class GazetteerError(NewswireError):
    """The gazetteer file is missing, malformed or inconsistent."""


class _CountryRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1)]
    country: Annotated[str, Field(pattern=_COUNTRY_PATTERN)]
    western: bool = False
    demonyms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


class _ActorRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1)]
    kind: ActorKind
    role: str | None = None
    country: Annotated[str, Field(pattern=_COUNTRY_PATTERN)] | None = None
    western: bool = False
    aliases: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    demonyms: tuple[str, ...] = ()


class _GazetteerFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[str, Field(min_length=1)]
    countries: tuple[_CountryRow, ...] = ()
    actors: tuple[_ActorRow, ...] = ()


_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "‐": "-", "–": "-", "—": "-"})
_SPACES = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """Remove diacritics, keeping the length when every character decomposes to one base."""
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def normalize_name(text: str) -> str:
    """The comparison key of a name: accents removed, case folded, quotes and spaces unified.

    A leading article ("the Kremlin") is dropped so that "Kremlin" and "the Kremlin" match.
    """
    key = _SPACES.sub(" ", strip_accents(text).translate(_QUOTES).casefold()).strip()
    if key.startswith("the "):
        key = key[4:]
    return key


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One actor of the gazetteer."""

    id: str
    name: str
    kind: ActorKind
    role: str | None
    country: str | None
    western: bool
    aliases: tuple[str, ...]
    titles: tuple[str, ...]
    demonyms: tuple[str, ...]

    def surface_forms(self) -> tuple[str, ...]:
        """Every way news copy names this actor (name, aliases, titles, demonyms)."""
        return (self.name, *self.aliases, *self.titles, *self.demonyms)

    def to_actor(self, mention: str | None = None) -> ActorRef:
        """The contract form of this actor, optionally with the text as written."""
        return ActorRef(
            id=self.id,
            name=self.name,
            kind=self.kind,
            role=self.role,
            country=self.country,
            mention=mention,
        )


class Gazetteer:
    """Resolves names, aliases, titles, demonyms and ids to canonical actors."""

    def __init__(self, version: str, entries: tuple[GazetteerEntry, ...], source: str) -> None:
        self.version = version
        self.entries = entries
        self.source = source
        self._by_id = {entry.id: entry for entry in entries}
        self._by_key: dict[str, GazetteerEntry] = {}
        for entry in entries:
            for form in entry.surface_forms():
                self._by_key.setdefault(normalize_name(form), entry)
            self._by_key.setdefault(entry.id.casefold(), entry)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, actor_id: str) -> GazetteerEntry | None:
        """The entry with this id, if any."""
        return self._by_id.get(actor_id)

    def lookup(self, name_or_alias_or_qid: str) -> GazetteerEntry | None:
        """The entry named by a name, alias, title, demonym or id (case and accent-insensitive)."""
        text = name_or_alias_or_qid.strip()
        entry = self._by_id.get(text)
        if entry is not None:
            return entry
        return self._by_key.get(normalize_name(text))

    def resolve(self, name_or_alias_or_qid: str) -> ActorRef | None:
        """The canonical actor for a name, alias, title, demonym or id, or None when unknown."""
        entry = self.lookup(name_or_alias_or_qid)
        return None if entry is None else entry.to_actor()

    def surface_forms(self) -> Iterator[tuple[str, GazetteerEntry]]:
        """Each (surface form, entry) pair, for building matchers."""
        for entry in self.entries:
            for form in dict.fromkeys(entry.surface_forms()):
                yield form, entry


def _raise_for_collisions(entries: tuple[GazetteerEntry, ...], source: str) -> None:
    seen_ids: set[str] = set()
    owner: dict[str, str] = {}
    for entry in entries:
        if entry.id in seen_ids:
            raise GazetteerError(f"{source}: id {entry.id!r} is defined twice")
        seen_ids.add(entry.id)
        for form in dict.fromkeys(entry.surface_forms()):
            key = normalize_name(form)
            if not key:
                raise GazetteerError(f"{source}: {entry.id}: empty alias")
            other = owner.setdefault(key, entry.id)
            if other != entry.id:
                raise GazetteerError(
                    f"{source}: alias {form!r} of {entry.id} already names {other}"
                )


def parse_gazetteer(data: Any, source: str) -> Gazetteer:
    """Validate parsed YAML data and build a :class:`Gazetteer`; errors name file and field."""
    try:
        parsed = _GazetteerFile.model_validate(data)
    except ValidationError as exc:
        raise GazetteerError(f"{source}: {first_error(exc, indexed=True)}") from exc
    entries: list[GazetteerEntry] = [
        GazetteerEntry(
            id=row.id,
            name=row.name,
            kind=ActorKind.COUNTRY,
            role=None,
            country=row.country,
            western=row.western,
            aliases=row.aliases,
            titles=(),
            demonyms=row.demonyms,
        )
        for row in parsed.countries
    ]
    entries.extend(
        GazetteerEntry(
            id=row.id,
            name=row.name,
            kind=row.kind,
            role=row.role,
            country=row.country,
            western=row.western,
            aliases=row.aliases,
            titles=row.titles,
            demonyms=row.demonyms,
        )
        for row in parsed.actors
    )
    frozen = tuple(entries)
    _raise_for_collisions(frozen, source)
    return Gazetteer(parsed.version, frozen, source)


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """Load and validate the gazetteer YAML (the packaged one by default)."""
    if path is None:
        return _load_default()
    return _load_path(path)


def _load_path(path: Path) -> Gazetteer:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GazetteerError(f"{path}: cannot read: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GazetteerError(f"{path}: not valid YAML: {exc}") from exc
    return parse_gazetteer(data, str(path))


@functools.cache
def _load_default() -> Gazetteer:
    return _load_path(DEFAULT_GAZETTEER_PATH)
