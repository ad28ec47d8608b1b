"""Each faster computation of normalization gives what the straightforward one gives.

References: py3langid's own identifier, trafilatura's own author search, the regular expressions
the text functions stood for; inputs: fixture pages, generated pages and seeded random inputs
aimed at the edge cases (odd spaces, non-ASCII words, attribute values that nearly match).
"""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from trafilatura.metadata import extract_author
from trafilatura.utils import load_html

from newswire.ingest.normalize import author_search, language
from newswire.ingest.normalize.fingerprint import (
    _shingle_bytes,
    normalize_text,
    word_shingles,
    words,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest"
FIXTURE_PAGES = sorted(FIXTURES.rglob("*.htm*"))
SPACES = " \t\u00a0\u2000\u2001\u2005\u200a\u200b\u202f\u205f\u3000\x0b\x0c\u2028\u1680"


def _reference_normalize_text(text: str) -> str:
    """normalize_text as first written: one substitution per line."""
    spaces = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00ad", "").replace("\ufeff", "")
    lines = [spaces.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = [
        "word", "Wörter", "naïve", "東京", "x_y", "42", "it's", "e\u0301", "\u00ad", "\ufeff",
        "\r\n", "\n", "\n\n\n", "\r", ".", "—", "K", "İ", "ǅ", *SPACES,
    ]  # fmt: skip
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(count)]


def test_normalize_text_matches_the_per_line_reference() -> None:
    for text in _random_texts(3000, seed=1):
        assert normalize_text(text) == _reference_normalize_text(text), repr(text)


def test_words_match_the_word_regex_on_ascii_and_other_text() -> None:
    for text in [*_random_texts(2000, seed=2), "".join(map(chr, range(128))) * 2]:
        assert words(text) == re.findall(r"\w+", text.lower()), repr(text)


@pytest.mark.parametrize("size", [1, 3, 5])
def test_shingle_bytes_are_the_encoded_word_shingles(size: int) -> None:
    for text in _random_texts(1500, seed=3 + size):
        expected = {shingle.encode("utf-8") for shingle in word_shingles(text, size)}
        assert set(_shingle_bytes(text, size)) == expected, repr(text)


@pytest.fixture(scope="module")
def reference_identifier() -> Any:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _language_samples() -> list[str]:
    rng = random.Random(7)
    samples = [
        "The council approved the budget after a long debate about library opening hours.",
        "Le conseil municipal a adopté le budget après un long débat sur les horaires.",
        "Der Stadtrat hat den Haushalt nach einer langen Debatte über die Öffnungszeiten beschlossen.",
        "市议会在就图书馆开放时间进行长时间辩论后批准了预算。",
        "Городской совет утвердил бюджет после долгих дебатов.",
        "ALL CAPS HEADLINE ABOUT THE HARBOUR",
        "a",
        "",
        "x" * 2500,
    ]
    for path in FIXTURE_PAGES:
        samples.append(path.read_text(encoding="utf-8", errors="replace")[:2000])
    for _ in range(150):
        top = rng.choice([0x7F, 0x2FF, 0x3000, 0xFFFF])
        samples.append("".join(chr(rng.randint(32, top)) for _ in range(rng.randint(1, 700))))
    return samples


def test_vectorized_language_identifier_gives_py3langid_results(
    reference_identifier: Any,
) -> None:
    identifier = language._identifier()
    assert isinstance(identifier, language._VectorizedIdentifier)
    for sample in _language_samples():
        assert identifier.classify(sample) == reference_identifier.classify(sample), sample[:40]


def test_a_window_too_short_falls_back_to_the_byte_loop(
    monkeypatch: pytest.MonkeyPatch, reference_identifier: Any
) -> None:
    identifier = language._identifier()
    monkeypatch.setattr(language, "_WINDOW_BYTES", 1)
    sample = "The council approved the budget after a long debate about library hours."
    assert identifier._feature_states(identifier._encode(sample)) is None
    assert identifier.classify(sample) == reference_identifier.classify(sample)


_FRAGMENTS = [
    "author", "Author", "name", "-", "comment", "Comments", "comments", "list", "sidebar",
    "byline", "Byline", "writer", "x", " ", "ProductReviews", "article-", "share", "support",
    "meta-", "date", "print", "category", "quote", "is-hidden", "embedly-instagram", "reviewer",
    "screenname", "zuozhe", "title", "submitted-by", "posted-by", "journalist-", "channel-name",
    "Figure", "AuthorCard", "AuthorURL", "é", "\n", "username", "byl", "BBL",
]  # fmt: skip
_TAGS = [
    "a", "address", "div", "link", "p", "span", "strong", "h3", "h4", "section", "author",
    "time", "figure", "rel", "li", "em",
]  # fmt: skip
_ATTRIBUTES = ["id", "class", "itemprop", "data-component", "rel", "data-testid"]


def _random_tree(rng: random.Random) -> Any:
    def value() -> str:
        if rng.random() < 0.2:
            return rng.choice(["author", "comments", "title", "date", "byline", "author name"])
        return "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 4)))

    def element(depth: int) -> str:
        tag = rng.choice(_TAGS)
        attributes = " ".join(f'{a}="{value()}"' for a in _ATTRIBUTES if rng.random() < 0.35)
        inner = rng.choice(["", "Jane Doe", "By John Smith and Ann Lee", "x" * 130, "me", "m"])
        children = (
            "".join(element(depth + 1) for _ in range(rng.randint(0, 3))) if depth < 4 else ""
        )
        tail = rng.choice(["", " tail", "e"])
        return f"<{tag} {attributes}>{inner}{children}<!-- c --></{tag}>{tail}"

    body = "".join(element(0) for _ in range(rng.randint(1, 6)))
    return lxml_html.fromstring(f"<html><body>{body}</body></html>")


def test_one_pass_author_search_mirrors_the_pinned_trafilatura() -> None:
    assert author_search._MIRRORS_TRAFILATURA
    assert author_search.search_author is author_search._one_pass_search


def test_one_pass_author_search_finds_what_trafilatura_finds() -> None:
    rng = random.Random(11)
    trees = [_random_tree(rng) for _ in range(1500)]
    trees += [load_html(path.read_bytes()) for path in FIXTURE_PAGES]
    found = 0
    for tree in trees:
        expected = extract_author(tree)
        found += expected is not None
        assert author_search.search_author(tree) == expected, lxml_html.tostring(tree)[:300]
    assert found > 500  # the inputs exercise the search, not only its misses
