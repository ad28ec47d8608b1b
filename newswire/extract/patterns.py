"""The trigger lexicons (YAML data) and the versioned registry of per-type trigger rules.

The lexicons say which lemmas and phrases may trigger an event type; a registered rule, one per
type, decides from the dependency parse whether a trigger really is an event of that type and
which actors take part. Every rule carries a version; together with the lexicon, cue-word
(``data/cues.yaml``) and gazetteer versions they make the ``extractor_version`` stamped on each
event.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newswire.errors import NewswireError
from newswire.extract.cues import load_cues
from newswire.validation import first_error
from schemas.events import EventType

DEFAULT_LEXICON_PATH = Path(__file__).resolve().parent / "data" / "triggers.yaml"
EXTRACTOR_RELEASE = "2"

_POS = {"VERB", "NOUN", "ADJ", "PROPN", "AUX"}


class LexiconError(NewswireError):
    """The trigger lexicon file is missing, malformed or inconsistent."""


class _LemmaRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lemma: Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(min_length=1)]
    pos: Annotated[tuple[str, ...], Field(min_length=1)]


class _TypeRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lemmas: tuple[_LemmaRow, ...] = ()
    phrases: tuple[str, ...] = ()
    stems: Annotated[tuple[Annotated[str, Field(min_length=2)], ...], Field(min_length=1)]


class _LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[str, Field(min_length=1)]
    types: dict[EventType, _TypeRow]


@dataclass(frozen=True, slots=True)
class TypeLexicon:
    """What may trigger one event type."""

    event_type: EventType
    lemmas_by_pos: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    phrases: tuple[str, ...]
    stems: tuple[str, ...]

    def lemmas(self) -> frozenset[str]:
        """Every lemma of this type, whatever its part of speech."""
        return frozenset(lemma for lemmas, _ in self.lemmas_by_pos for lemma in lemmas)


@dataclass(frozen=True, slots=True)
class TriggerLexicon:
    """All trigger lexicons, with the version stamped on events."""

    version: str
    types: tuple[TypeLexicon, ...]
    source: str

    def for_type(self, event_type: EventType) -> TypeLexicon | None:
        """The lexicon of one type, if the file defines it."""
        for lexicon in self.types:
            if lexicon.event_type is event_type:
                return lexicon
        return None

    def stem_pattern(self) -> re.Pattern[str]:
        """One regular expression matching any word that begins with a trigger stem."""
        stems = sorted({stem.lower() for lexicon in self.types for stem in lexicon.stems})
        alternation = "|".join(re.escape(stem) for stem in sorted(stems, key=len, reverse=True))
        return re.compile(rf"\b(?:{alternation})", re.IGNORECASE)


def parse_lexicon(data: Any, source: str) -> TriggerLexicon:
    """Validate parsed YAML data; errors name the file and the field."""
    try:
        parsed = _LexiconFile.model_validate(data)
    except ValidationError as exc:
        raise LexiconError(f"{source}: {first_error(exc, indexed=True)}") from exc
    types: list[TypeLexicon] = []
    for event_type, row in parsed.types.items():
        for index, lemma_row in enumerate(row.lemmas):
            unknown = sorted(set(lemma_row.pos) - _POS)
            if unknown:
                raise LexiconError(
                    f"{source}: types.{event_type.value}.lemmas.{index}.pos: "
                    f"unknown part of speech {unknown[0]!r} (use one of {sorted(_POS)})"
                )
        types.append(
            TypeLexicon(
                event_type=event_type,
                lemmas_by_pos=tuple(
                    (tuple(lemma.lower() for lemma in r.lemma), r.pos) for r in row.lemmas
                ),
                phrases=tuple(phrase.lower() for phrase in row.phrases),
                stems=row.stems,
            )
        )
    missing = [t.value for t in EventType if t not in parsed.types]
    if missing:
        raise LexiconError(f"{source}: types: no lexicon for {', '.join(missing)}")
    return TriggerLexicon(parsed.version, tuple(types), source)


def load_lexicon(path: Path | None = None) -> TriggerLexicon:
    """Load and validate the trigger lexicon YAML (the packaged one by default)."""
    return _load(path or DEFAULT_LEXICON_PATH)


@functools.cache
def _load(path: Path) -> TriggerLexicon:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML: {exc}") from exc
    return parse_lexicon(data, str(path))


RuleFunction = TypeVar("RuleFunction", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class RegisteredRule:
    """A trigger rule of one event type, with its version."""

    event_type: EventType
    version: int
    function: Callable[..., Any]


_RULES: dict[EventType, RegisteredRule] = {}


def trigger_rule(event_type: EventType, *, version: int) -> Callable[[RuleFunction], RuleFunction]:
    """Register the rule deciding events of ``event_type``; bump ``version`` on any change."""

    def register(function: RuleFunction) -> RuleFunction:
        if event_type in _RULES and _RULES[event_type].function is not function:
            raise LexiconError(f"a rule for {event_type.value} is already registered")
        _RULES[event_type] = RegisteredRule(event_type, version, function)
        return function

    return register


def registered_rules() -> dict[EventType, RegisteredRule]:
    """The registered rules, by event type."""
    return dict(_RULES)


def extractor_version(
    lexicon: TriggerLexicon, gazetteer_version: str, cues_version: str | None = None
) -> str:
    """The version stamped on events: release, lexicon, cue words, gazetteer and every rule.

    ``cues_version`` defaults to the packaged cue file's version.
    """
    rules = ".".join(str(_RULES[t].version) if t in _RULES else "0" for t in EventType)
    cues = load_cues().version if cues_version is None else cues_version
    return (
        f"{EXTRACTOR_RELEASE}+lex{lexicon.version}+cues{cues}+gaz{gazetteer_version}+rules{rules}"
    )
