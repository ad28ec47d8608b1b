"""Drop-in replacements for the model's attribute ruler and lemmatizer that remember answers.

Both stock components recompute, for every token, what depends only on a handful of the token's
attributes: the attribute ruler runs a matcher of some 180 patterns over every token, the rule
lemmatizer re-derives the lemma of each base form. On the candidate sentences of news text they
cost about a quarter of the parse. The components here take the stock component's own data
(patterns, attributes, lookup tables), so their output is the stock output token for token:

- ``newswire_cached_attributes``: the ruler's single-token patterns are answered from a cache keyed
  by the four attributes they read (tag, lower-case form, dependency, is-space); the few
  patterns that span tokens still go through a matcher, run only on a
  sentence holding a token one of them requires (such as "gon" or an expletive "there"); every
  match is applied by the stock ruler, in its order (later rules win).
- ``newswire_cached_lemmatizer``: the stock lemmatizer's answer for a token is a function of its
  text, part of speech and morphology, so it is kept under that key.

``load_pipeline`` puts each in place of the component it wraps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Token

# The token attributes the cache is keyed on, in the order of its key.
_SIMPLE_FIELDS = ("TAG", "LOWER", "DEP", "IS_SPACE")
_ANCHOR_FIELDS = ("DEP", "LOWER", "TAG")
_CACHE_LIMIT = 200_000


def _test(value: object) -> Callable[[object], bool] | None:
    """How one pattern value is checked against a token's attribute, as the matcher does it.

    None for what the matcher does differently from these (other predicates, non-strings).
    """
    if isinstance(value, str | bool):
        return lambda seen: seen == value
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((predicate, argument),) = value.items()
    if predicate == "REGEX" and isinstance(argument, str):
        regex = re.compile(argument)
        return lambda seen: isinstance(seen, str) and regex.search(seen) is not None
    if predicate in ("IN", "NOT_IN") and isinstance(argument, list | tuple):
        if not all(isinstance(item, str) for item in argument):
            return None
        members = frozenset(argument)
        if predicate == "IN":
            return lambda seen: seen in members
        return lambda seen: seen not in members
    return None


_Check = tuple[tuple[str, Callable[[object], bool]], ...]
# The single-token rules a token matches (rule id, match key), and whether it is an anchor.
_Answer = tuple[tuple[tuple[int, int], ...], bool]


def _single_token_checks(patterns: Sequence[Sequence[Mapping[str, object]]]) -> list[_Check] | None:
    """The checks of patterns that each read one token's cached fields, else None."""
    checks: list[_Check] = []
    for pattern in patterns:
        if len(pattern) != 1:
            return None
        check: list[tuple[str, Callable[[object], bool]]] = []
        for field, value in pattern[0].items():
            test = _test(value)
            if field not in _SIMPLE_FIELDS or test is None:
                return None
            check.append((field, test))
        checks.append(tuple(check))
    return checks


def _anchor(pattern: Sequence[Mapping[str, object]]) -> tuple[str, frozenset[str]] | None:
    """A field and the values one of the pattern's tokens must have, the narrowest found."""
    options: list[tuple[int, int, str, frozenset[str]]] = []
    for token in pattern:
        for rank, field in enumerate(_ANCHOR_FIELDS):
            value = token.get(field)
            if isinstance(value, str):
                values = frozenset({value})
            elif isinstance(value, Mapping) and set(value) == {"IN"}:
                values = frozenset(str(v) for v in value["IN"])
            else:
                continue
            options.append((len(values), rank, field, values))
    if not options:
        return None
    _, _, field, values = min(options, key=lambda option: option[:2])
    return field, values


class CachedAttributeRuler:
    """The stock attribute ruler's matches, with its single-token rules answered from a cache."""

    def __init__(self, ruler: Any) -> None:
        self.ruler = ruler
        strings = ruler.vocab.strings
        self._simple: list[tuple[int, int, list[_Check]]] = []
        self._matcher = Matcher(ruler.vocab, validate=False)
        # (field, value) pairs of which a sentence must hold one for the matcher to find
        # anything; None when some pattern has no such requirement (the matcher always runs).
        anchors: set[tuple[str, str]] | None = set()
        for attr_id, entry in enumerate(ruler.patterns):
            patterns = entry["patterns"]
            checks = _single_token_checks(patterns)
            if checks is not None:
                self._simple.append((attr_id, strings.add(str(attr_id)), checks))
                continue
            self._matcher.add(str(attr_id), patterns)
            for pattern in patterns:
                anchor = _anchor(pattern)
                if anchor is None or anchors is None:
                    anchors = None
                    continue
                anchors.update((anchor[0], value) for value in anchor[1])
        self._anchors = None if anchors is None else frozenset(anchors)
        self._cache: dict[tuple[str, str, str, bool], _Answer] = {}

    def _answer(self, token: Token) -> _Answer:
        """The single-token rules ``token`` matches, and whether it holds a matcher anchor."""
        key = (token.tag_, token.lower_, token.dep_, token.is_space)
        found = self._cache.get(key)
        if found is None:
            values = dict(zip(_SIMPLE_FIELDS, key, strict=True))
            rules = tuple(
                (attr_id, match_key)
                for attr_id, match_key, checks in self._simple
                if any(all(test(values[field]) for field, test in check) for check in checks)
            )
            anchors = self._anchors
            anchor = anchors is None or any(
                (field, values[field]) in anchors for field in _ANCHOR_FIELDS
            )
            found = (rules, anchor)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return found

    def __call__(self, doc: Doc) -> Doc:
        """Set the attributes the stock ruler would set on ``doc``."""
        matches: list[tuple[int, int, int, int]] = []
        anchored = False
        for token in doc:
            rules, anchor = self._answer(token)
            for attr_id, match_key in rules:
                matches.append((attr_id, match_key, token.i, token.i + 1))
            anchored = anchored or anchor
        if anchored:
            strings = self.ruler.vocab.strings
            for match_key, start, end in self._matcher(doc, allow_missing=True):
                matches.append((int(strings[match_key]), match_key, start, end))
        # The stock order: by rule, so that later rules overwrite earlier ones.
        matches.sort()
        self.ruler.set_annotations(doc, matches)
        return doc


class CachedLemmatizer:
    """The stock lemmatizer's lemmas, remembered per (text, part of speech, morphology)."""

    def __init__(self, lemmatizer: Any) -> None:
        self.lemmatizer = lemmatizer
        self._cache: dict[tuple[int, int, int], str] = {}

    def __call__(self, doc: Doc) -> Doc:
        """Set the lemma the stock lemmatizer would set on each token of ``doc``."""
        overwrite = bool(self.lemmatizer.overwrite)
        cache = self._cache
        for token in doc:
            if not overwrite and token.lemma != 0:
                continue
            # A MorphAnalysis hashes to its key in the vocabulary's morphology table.
            key = (token.orth, token.pos, hash(token.morph))
            lemma = cache.get(key)
            if lemma is None:
                lemma = str(self.lemmatizer.lemmatize(token)[0])
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[key] = lemma
            token.lemma_ = lemma
        return doc


@Language.factory(
    "newswire_cached_attributes",
    assigns=["token.pos", "token.tag", "token.morph", "token.lemma"],
    requires=["token.tag", "token.dep"],
    default_config={"source": "attribute_ruler"},
)
def make_cached_attributes(nlp: Language, name: str, source: str) -> CachedAttributeRuler:
    """Wrap the pipeline's attribute ruler ``source`` (it must already be in the pipeline)."""
    return CachedAttributeRuler(nlp.get_pipe(source))


@Language.factory(
    "newswire_cached_lemmatizer",
    assigns=["token.lemma"],
    requires=["token.pos", "token.morph"],
    default_config={"source": "lemmatizer"},
)
def make_cached_lemmatizer(nlp: Language, name: str, source: str) -> CachedLemmatizer:
    """Wrap the pipeline's lemmatizer ``source`` (it must already be in the pipeline)."""
    return CachedLemmatizer(nlp.get_pipe(source))


def use_cached_pipes(nlp: Language) -> None:
    """Put the cached components in place of the stock attribute ruler and lemmatizer."""
    for factory, source in (
        ("newswire_cached_attributes", "attribute_ruler"),
        ("newswire_cached_lemmatizer", "lemmatizer"),
    ):
        if source in nlp.pipe_names:
            nlp.add_pipe(factory, name=f"{source}_cached", before=source, config={"source": source})
            nlp.remove_pipe(source)
