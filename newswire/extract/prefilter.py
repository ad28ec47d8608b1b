"""The cheap pre-filter: which sentences of an article deserve a full parse.

A sentence is parsed only when it names a gazetteer actor and contains a trigger stem; both are
single regular-expression passes, so off-topic text costs almost nothing. Pure logic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from newswire.extract.gazetteer import Gazetteer, GazetteerEntry
from newswire.extract.patterns import TriggerLexicon

_ABBREVIATIONS = frozenset(
    {
        "u.s.",
        "u.k.",
        "u.n.",
        "e.u.",
        "mr.",
        "mrs.",
        "ms.",
        "dr.",
        "gen.",
        "lt.",
        "col.",
        "sgt.",
        "st.",
        "jan.",
        "feb.",
        "mar.",
        "apr.",
        "jun.",
        "jul.",
        "aug.",
        "sep.",
        "sept.",
        "oct.",
        "nov.",
        "dec.",
        "no.",
        "vs.",
        "e.g.",
        "i.e.",
        "gov.",
        "sen.",
        "rep.",
        "prof.",
        "j.d.",
        "d.c.",
    }
)
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+|\n\s*")
_LAST_WORD = re.compile(r"(\S+)$")
_PRONOUN_START = re.compile(r"[\"“‘'(]?(?:He|She|They|We|It|His|Her|Their|Our|Its)\b")


@dataclass(frozen=True, slots=True)
class SentenceSpan:
    """A sentence as character offsets into the article text."""

    start: int
    end: int


def split_sentences(text: str) -> list[SentenceSpan]:
    """Split news text into sentences (lines, then ., !, ? not after an abbreviation)."""
    spans: list[SentenceSpan] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        chunk = text[start : match.start() + len(match.group(0).rstrip())]
        if "\n" not in match.group(0):
            word = _LAST_WORD.search(chunk)
            token = word.group(1).lower() if word else ""
            nxt = text[end : end + 1]
            if (
                token in _ABBREVIATIONS
                or re.fullmatch(r"[a-z]\.", token)
                or (nxt and nxt.islower())
            ):
                continue
        _append(spans, text, start, match.start() + len(match.group(0).rstrip()))
        start = end
    _append(spans, text, start, len(text))
    return spans


def _append(spans: list[SentenceSpan], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(SentenceSpan(start, end))


_FOLD_CACHE: dict[str, str] = {}


def fold_accents(text: str) -> str:
    """Replace accented letters by their base letter, keeping every offset unchanged."""
    if text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        folded = _FOLD_CACHE.get(ch)
        if folded is None:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            folded = base if len(base) == 1 else ch
            if ch in "’‘":
                folded = "'"
            _FOLD_CACHE[ch] = folded
        out.append(folded)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class ActorHitText:
    """A gazetteer name found by the pre-filter."""

    start: int
    entry: GazetteerEntry


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence worth parsing, with the actors named before it (for pronouns)."""

    span: SentenceSpan
    context_ids: tuple[str, ...]


class SentencePrefilter:
    """Selects the sentences that name an actor and contain a trigger stem."""

    def __init__(
        self, gazetteer: Gazetteer, lexicon: TriggerLexicon, context_size: int = 6
    ) -> None:
        self.gazetteer = gazetteer
        self.context_size = context_size
        self.stems = lexicon.stem_pattern()
        folded: dict[str, GazetteerEntry] = {}
        exact: dict[str, GazetteerEntry] = {}
        for form, entry in gazetteer.surface_forms():
            base = fold_accents(form).replace("’", "'")
            if base.lower().startswith("the "):
                base = base[4:]
            if (base.isupper() and len(base) <= 5) or (len(base) <= 4 and base[:1].isupper()):
                exact.setdefault(base, entry)
            else:
                folded.setdefault(base.lower(), entry)
        self._folded = folded
        self._exact = exact
        self._folded_re = _alternation(folded, re.IGNORECASE)
        self._exact_re = _alternation(exact, 0)

    def actor_hits(self, text: str) -> list[ActorHitText]:
        """Every gazetteer name in ``text``, in order."""
        folded = fold_accents(text)
        hits = [
            ActorHitText(m.start(), self._folded[m.group(0).lower().replace("’", "'")])
            for m in self._folded_re.finditer(folded)
            if m.group(0).lower().replace("’", "'") in self._folded
        ]
        hits.extend(
            ActorHitText(m.start(), self._exact[m.group(0)])
            for m in self._exact_re.finditer(folded)
            if m.group(0) in self._exact
        )
        hits.sort(key=lambda hit: hit.start)
        return hits

    def candidates(self, text: str) -> list[Candidate]:
        """The sentences of ``text`` that deserve a full parse."""
        sentences = split_sentences(text)
        with_stems = [s for s in sentences if self.stems.search(text, s.start, s.end)]
        if not with_stems:
            return []
        hits = self.actor_hits(text)
        if not hits:
            return []
        chosen: list[Candidate] = []
        cursor = 0
        previous: list[str] = []
        for sentence in with_stems:
            while cursor < len(hits) and hits[cursor].start < sentence.start:
                previous.append(hits[cursor].entry.id)
                cursor += 1
            inside = any(
                sentence.start <= h.start < sentence.end for h in hits[cursor : cursor + 50]
            )
            # "They said ...": a pronoun picks up the actors named just before.
            follows_up = bool(previous) and bool(
                _PRONOUN_START.match(text, sentence.start, sentence.end)
            )
            if inside or follows_up:
                context = tuple(previous[-self.context_size :]) if self.context_size else ()
                chosen.append(Candidate(sentence, context))
        return chosen


def _alternation(forms: dict[str, GazetteerEntry], flags: int) -> re.Pattern[str]:
    ordered = sorted(forms, key=len, reverse=True)
    body = "|".join(re.escape(form).replace("'", "['’]") for form in ordered)
    return re.compile(rf"(?<![\w]){'(?:' + body + ')' if body else '(?!)'}(?![\w])", flags)
