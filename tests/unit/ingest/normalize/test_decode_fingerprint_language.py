from __future__ import annotations

import pytest

from newswire.ingest.normalize.cleaning import clean_main_text
from newswire.ingest.normalize.decode import decode_body
from newswire.ingest.normalize.errors import NormalizeError
from newswire.ingest.normalize.fingerprint import (
    content_hash,
    minhash_from_signature,
    minhash_of,
    near_duplicate_signature,
    normalize_text,
    word_shingles,
)
from newswire.ingest.normalize.language import detect_language, normalize_language_hint


def test_utf8_body_wins_over_a_wrong_latin1_header() -> None:
    body = "<p>Zürich café – naïve</p>".encode()
    assert decode_body(body, declared_charset="iso-8859-1") == "<p>Zürich café – naïve</p>"


def test_latin1_body_with_a_wrong_utf8_header_is_still_decoded() -> None:
    body = (
        "<html><p>Über die Brücke gehen wir jeden Tag, sagte der Bürgermeister.</p></html>".encode(
            "latin-1"
        )
    )
    assert "Brücke" in decode_body(body, declared_charset="utf-8")


@pytest.mark.parametrize(
    "body", [b"%PDF-1.7\n...", b"\x89PNG\r\n\x1a\n....", b"\x00\x01\x02" * 100]
)
def test_binary_body_is_refused(body: bytes) -> None:
    with pytest.raises(NormalizeError, match="binary"):
        decode_body(body)


def test_content_hash_ignores_whitespace_differences_only() -> None:
    assert content_hash("Line one.\n\n\n\nLine  two. ") == content_hash("Line one.\n\nLine two.")
    assert content_hash("Line one.") != content_hash("Line one!")


def test_normalize_text_collapses_spaces_and_blank_lines() -> None:
    assert normalize_text(" a \u00a0 b \r\n\r\n\r\n\r\nc ") == "a b\n\nc"


def test_word_shingles_of_a_short_text_is_one_shingle() -> None:
    assert word_shingles("Two words", 5) == {"two words"}
    assert len(word_shingles("one two three four five six", 5)) == 2


def test_signature_is_deterministic_ints_and_round_trips() -> None:
    text = "The quick brown fox jumps over the lazy dog near the river bank today."
    first = near_duplicate_signature(text, num_perm=64, shingle_size=3)
    assert first == near_duplicate_signature(text, num_perm=64, shingle_size=3)
    assert len(first) == 64 and all(isinstance(value, int) for value in first)
    rebuilt = minhash_from_signature(first)
    assert rebuilt.jaccard(minhash_from_signature(first)) == 1.0


def test_language_is_detected_with_a_normalized_probability() -> None:
    language, confidence = detect_language(
        "The council approved the budget after a long debate about library opening hours."
    )
    assert language == "en"
    assert 0.5 < confidence <= 1.0
    assert detect_language("12345 --- !!!") == (None, 0.0)


def test_language_hints_are_reduced_to_iso_codes() -> None:
    assert normalize_language_hint("en-GB") == "en"
    assert normalize_language_hint("FR") == "fr"
    assert normalize_language_hint("english!") is None


def test_cleaning_drops_short_boilerplate_lines_but_keeps_prose_about_cookies() -> None:
    text = "\n".join(
        [
            "The bakery sold ten thousand cookies at the fair, the organisers said on Sunday.",
            "We use cookies to improve your experience.",
            "Share this article",
            "Related stories",
            "- Another story",
            "- Yet another story",
            "The fair returns next year.",
            "12 comments",
        ]
    )
    assert clean_main_text(text) == (
        "The bakery sold ten thousand cookies at the fair, the organisers said on Sunday.\n"
        "The fair returns next year."
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Word",
        "Two words only",
        "The council approved the budget on Tuesday after a long debate. " * 12,
        "Ünïcödé wörds, ça va très bien — 日本語のテキスト and some more plain words here",
        "snake_case and digits 123 456 mixed with UPPER case Words and more words to shingle",
    ],
)
@pytest.mark.parametrize(
    ("num_perm", "shingle_size", "seed"), [(128, 5, 1), (64, 3, 7), (16, 1, 0)]
)
def test_numpy_signature_equals_datasketch_minhash(
    text: str, num_perm: int, shingle_size: int, seed: int
) -> None:
    reference = minhash_of(text, num_perm=num_perm, shingle_size=shingle_size, seed=seed)
    signature = near_duplicate_signature(
        text, num_perm=num_perm, shingle_size=shingle_size, seed=seed
    )
    assert signature == tuple(int(value) for value in reference.hashvalues)
