from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from newswire.ingest.normalize.errors import NormalizeError
from newswire.ingest.normalize.plaintext import first_sentence, parse_news_json, parse_plain_text


def test_date_line_gives_date_and_first_sentence_as_title() -> None:
    doc = parse_plain_text(
        " date 2024-03-20 Amidst rising tensions, talks resumed. Officials met in Paris.\n\nMore text."
    )
    assert doc.published_at == datetime(2024, 3, 20, tzinfo=UTC)
    assert doc.title == "Amidst rising tensions, talks resumed."
    assert doc.text.startswith("Amidst rising tensions, talks resumed. Officials met in Paris.")
    assert doc.text.endswith("More text.")


def test_title_line_is_split_from_the_body() -> None:
    doc = parse_plain_text(
        "Budget vote delayed\nThe council postponed its vote.\nIt meets again soon."
    )
    assert doc.title == "Budget vote delayed"
    assert doc.text == "The council postponed its vote.\nIt meets again soon."
    assert doc.published_at is None


def test_section_label_before_the_title_is_skipped() -> None:
    doc = parse_plain_text(
        "News\n\nHarbor bridge reopens after repair\n\nThe bridge reopened on Tuesday after two years of works, officials said."
    )
    assert doc.title == "Harbor bridge reopens after repair"
    assert doc.text.startswith("The bridge reopened")


def test_prose_first_line_gives_first_sentence_title_and_keeps_text_whole() -> None:
    text = "The bridge reopened on Tuesday. It had been closed for two years."
    doc = parse_plain_text(text)
    assert doc.title == "The bridge reopened on Tuesday."
    assert doc.text == text


def test_empty_text_is_an_error() -> None:
    with pytest.raises(NormalizeError, match="empty"):
        parse_plain_text("  \n \n")


def test_first_sentence_is_capped_at_a_word_boundary() -> None:
    sentence = first_sentence("word " * 200)
    assert len(sentence) <= 301
    assert sentence.endswith("…")


def test_news_json_fields_and_aliases_are_read() -> None:
    doc = parse_news_json(
        json.dumps(
            {
                "headline": "Port strike ends",
                "body": "Dock workers returned to work on Friday after a deal on pay.",
                "link": "https://example.org/port-strike",
                "publishedAt": "2024-01-05T08:00:00Z",
                "author": [{"name": "A. Writer"}],
                "tags": ["labour", "ports"],
            }
        )
    )
    assert doc.title == "Port strike ends"
    assert doc.url == "https://example.org/port-strike"
    assert doc.published_at == datetime(2024, 1, 5, 8, tzinfo=UTC)
    assert doc.authors == ("A. Writer",)
    assert doc.tags == ("labour", "ports")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"title": "x"}', "no text field"),
        ('{"title": "x", "text": "body text", "published": "someday"}', "not a date"),
    ],
)
def test_bad_news_json_names_the_problem(payload: str, message: str) -> None:
    with pytest.raises(NormalizeError, match=message):
        parse_news_json(payload)
