"""The cheap pre-filter: which sentences of an article deserve a full parse.

A sentence is parsed only when it names a gazetteer actor and contains a trigger stem; both are
single regular-expression passes, so off-topic text costs almost nothing. Pure logic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

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
_PRONOUN_START = re.compile(
    r"[\"“‘'(]?(?:He|She|They|We|It|His|Her|Their|Our|Its|The two|Both|The pair)\b"
)


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
    """Selects the sentences that name an actor and contain a trigger stem.

    Names are looked up word by word rather than by one alternation over every surface form:
    each form is indexed under its first word, so a text costs one pass over its words and a
    dictionary probe per word. The result is the same as matching, left to right, the
    case-insensitive alternation of the long forms and, separately, the case-sensitive one of
    the short forms (longest form first, whole words only, no overlaps within either set).
    """

    def __init__(
        self,
        gazetteer: Gazetteer,
        lexicon: TriggerLexicon,
        context_size: int = 6,
        theatre: frozenset[str] = frozenset(),
    ) -> None:
        self.gazetteer = gazetteer
        self.context_size = context_size
        self.theatre = theatre
        self.stems = lexicon.stem_pattern()
        self._stem_starts = _stem_start_pattern(lexicon)
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
        self._cases = _CaseClasses(folded)
        self._folded_index = _first_word_index(folded, self._cases.probe_key)
        self._exact_index = _first_word_index(exact, str)
        self._indexed = self._folded_index is not None and self._exact_index is not None
        self._regexes: tuple[re.Pattern[str], re.Pattern[str]] | None = None

    def actor_hits(self, text: str) -> list[ActorHitText]:
        """Every gazetteer name in ``text``, in order."""
        return self._hits(text, len(text))

    def candidates(self, text: str) -> list[Candidate]:
        """The sentences of ``text`` that deserve a full parse.

        With a ``theatre`` (country codes), an article none of whose candidate sentences names
        an actor of those countries has none: the extractor would drop its events anyway.
        """
        with_stems = self._sentences_with_stems(text)
        if not with_stems:
            return []
        # Later names are never read: not inside a candidate, nor before one.
        hits = self._hits(text, with_stems[-1].end)
        if not hits:
            return []
        chosen: list[Candidate] = []
        cursor = 0
        previous: list[str] = []
        in_theatre = not self.theatre
        for sentence in with_stems:
            while cursor < len(hits) and hits[cursor].start < sentence.start:
                previous.append(hits[cursor].entry.id)
                cursor += 1
            named: list[ActorHitText] = []
            for hit in hits[cursor : cursor + 50]:
                if hit.start >= sentence.end:
                    break
                named.append(hit)
            inside = bool(named)
            if inside and not in_theatre:
                in_theatre = any((h.entry.country or "").lower() in self.theatre for h in named)
            # "They said ...": a pronoun picks up the actors named just before.
            follows_up = bool(previous) and bool(
                _PRONOUN_START.match(text, sentence.start, sentence.end)
            )
            if inside or follows_up:
                context = tuple(previous[-self.context_size :]) if self.context_size else ()
                chosen.append(Candidate(sentence, context))
        return chosen if in_theatre else []

    def _sentences_with_stems(self, text: str) -> list[SentenceSpan]:
        """The sentences in which ``self.stems`` finds a match."""
        # One pass over the whole text finds the same sentences as a search inside each: a
        # stem starts at a word boundary (judged on the real text either way) and cannot run
        # past a sentence's end, which is followed by white space or the end of the text.
        starts = [m.start() for m in self._stem_starts.finditer(text)]
        if not starts:
            return []
        chosen: list[SentenceSpan] = []
        cursor = 0
        for sentence in split_sentences(text):
            while cursor < len(starts) and starts[cursor] < sentence.start:
                cursor += 1
            if cursor == len(starts):
                break
            if starts[cursor] < sentence.end:
                chosen.append(sentence)
        return chosen

    def _hits(self, text: str, limit: int) -> list[ActorHitText]:
        """The names of ``text`` that start before ``limit``, in order."""
        folded = fold_accents(text)
        probe = self._cases.probe(folded) if self._indexed else None
        if probe is None:
            return [hit for hit in self._regex_hits(folded) if hit.start < limit]
        folded_index = self._folded_index
        exact_index = self._exact_index
        assert folded_index is not None and exact_index is not None
        size = len(folded)
        word_at = _WORD_CHAR.match
        found: list[ActorHitText] = []
        exact_found: list[ActorHitText] = []
        folded_free = exact_free = 0
        for word in _WORD_RUN.finditer(folded):
            start, stop = word.span()
            if start >= limit:
                break
            if start >= folded_free:
                for form, length in folded_index.get(probe[start:stop], ()):
                    end = start + length
                    if probe.startswith(form, start) and (end == size or not word_at(folded, end)):
                        # A match the dictionary does not know still hides what it covers,
                        # as it does in the alternation (only odd case pairs such as ı/I).
                        folded_free = end
                        entry = self._folded.get(folded[start:end].lower().replace("’", "'"))
                        if entry is not None:
                            found.append(ActorHitText(start, entry))
                        break
            if start >= exact_free:
                for form, length in exact_index.get(word.group(), ()):
                    end = start + length
                    if folded.startswith(form, start) and (end == size or not word_at(folded, end)):
                        exact_free = end
                        exact_found.append(ActorHitText(start, self._exact[form]))
                        break
        found.extend(exact_found)
        found.sort(key=lambda hit: hit.start)
        return found

    def _regex_hits(self, folded_text: str) -> list[ActorHitText]:
        """The alternation matcher, for the texts whose characters the index cannot vouch for."""
        if self._regexes is None:
            self._regexes = (
                _alternation(self._folded, re.IGNORECASE),
                _alternation(self._exact, 0),
            )
        folded_re, exact_re = self._regexes
        hits = [
            ActorHitText(m.start(), self._folded[m.group(0).lower().replace("’", "'")])
            for m in folded_re.finditer(folded_text)
            if m.group(0).lower().replace("’", "'") in self._folded
        ]
        hits.extend(
            ActorHitText(m.start(), self._exact[m.group(0)])
            for m in exact_re.finditer(folded_text)
            if m.group(0) in self._exact
        )
        hits.sort(key=lambda hit: hit.start)
        return hits


_WORD_RUN = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")


def _first_word_index(
    forms: dict[str, GazetteerEntry], probe_key: Callable[[str], str]
) -> dict[str, tuple[tuple[str, int], ...]] | None:
    """Forms by the probe of their first word, in the order the alternation tries them.

    None when a form does not start with a word character (it could match where no word starts).
    """
    index: dict[str, list[tuple[str, int]]] = {}
    for form in sorted(forms, key=len, reverse=True):
        first = _WORD_RUN.match(form)
        if first is None:
            return None
        key = probe_key(form)
        index.setdefault(key[: first.end()], []).append((key, len(form)))
    return {word: tuple(options) for word, options in index.items()}


class _CaseClasses:
    """How the case-insensitive alternation compares text characters with the forms' ones.

    ``re.IGNORECASE`` is not ``str.lower``: "i" matches "ı", "ß" matches "ẞ", and so on. Each
    form character gets a representative (the smallest form character it matches); a text
    character maps to the representative of the form characters it matches, so equal probes
    mean a match exactly. Characters for which no such value exists send the text to the
    alternation itself.
    """

    def __init__(self, forms: Iterable[str]) -> None:
        chars = sorted({ch for form in forms for ch in form})
        self._matchers = [(ch, re.compile(_piece(ch), re.IGNORECASE)) for ch in chars]
        self._rep = {ch: min(self._matching(ch)) for ch in chars}
        self._reps = frozenset(self._rep.values())
        self._probe_char: dict[str, str | None] = {}
        self._plain: dict[str, bool] = {}
        self._ascii_plain = all(self._is_plain(chr(code)) for code in range(128))

    def probe_key(self, form: str) -> str:
        """A form in the probe alphabet."""
        return "".join(self._rep[ch] for ch in form)

    def probe(self, text: str) -> str | None:
        """``text`` in the probe alphabet (same length), or None if it cannot be written so."""
        lowered = text.lower()
        if len(lowered) == len(text) and (text.isascii() or "Σ" not in text):
            chars = set(text) if not text.isascii() else ()
            if (text.isascii() and self._ascii_plain) or (
                chars and all(self._is_plain(ch) for ch in chars)
            ):
                return lowered
        out: list[str] = []
        for ch in text:
            value = self._char(ch)
            if value is None:
                return None
            out.append(value)
        return "".join(out)

    def _matching(self, ch: str) -> list[str]:
        return [form_ch for form_ch, matcher in self._matchers if matcher.fullmatch(ch)]

    def _char(self, ch: str) -> str | None:
        if ch in self._probe_char:
            return self._probe_char[ch]
        matched = self._matching(ch)
        value: str | None
        if not matched:
            lower = ch.lower()
            value = lower if len(lower) == 1 and lower not in self._reps else ch
        else:
            value = self._rep[matched[0]]
            word = bool(_WORD_CHAR.match(ch))
            consistent = all(
                self._rep[form_ch] == value and bool(_WORD_CHAR.match(form_ch)) == word
                for form_ch in matched
            ) and not any(
                rep == value for form_ch, rep in self._rep.items() if form_ch not in matched
            )
            if not consistent:
                value = None
        self._probe_char[ch] = value
        return value

    def _is_plain(self, ch: str) -> bool:
        """Whether the character's probe is what ``str.lower`` makes of it in any context."""
        plain = self._plain.get(ch)
        if plain is None:
            lower = ch.lower()
            plain = ch != "Σ" and len(lower) == 1 and self._char(ch) == lower
            self._plain[ch] = plain
        return plain


def _stem_start_pattern(lexicon: TriggerLexicon) -> re.Pattern[str]:
    """Where :meth:`TriggerLexicon.stem_pattern` matches, as a prefix tree of its stems.

    It matches at exactly the positions where that pattern does (perhaps a shorter stem, so
    ``finditer`` may go on to find more starts inside the longer stem's text; sentences are
    only asked for their first one) and is several times faster than the flat alternation.
    """
    tree: dict[str, Any] = {}
    for stem in {stem.lower() for types in lexicon.types for stem in types.stems}:
        node = tree
        for ch in stem:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: dict[str, Any]) -> str:
        if "" in node:
            return ""  # a stem ends here: longer ones add no position
        parts = [re.escape(ch) + branch(child) for ch, child in sorted(node.items())]
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    return re.compile(rf"\b{branch(tree) if tree else '(?!)'}", re.IGNORECASE)


def _piece(form: str) -> str:
    return re.escape(form).replace("'", "['’]")


def _alternation(forms: dict[str, GazetteerEntry], flags: int) -> re.Pattern[str]:
    ordered = sorted(forms, key=len, reverse=True)
    body = "|".join(_piece(form) for form in ordered)
    return re.compile(rf"(?<![\w]){'(?:' + body + ')' if body else '(?!)'}(?![\w])", flags)
