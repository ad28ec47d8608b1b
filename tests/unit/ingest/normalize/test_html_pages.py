"""Main-text extraction on realistic fixture pages with navigation, cookie banners, related-article
lists and comment sections; each page has its expected main text and its boilerplate strings."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.ingest.normalize.decode import decode_body
from newswire.ingest.normalize.html import extract_html
from schemas.articles import PublishedAtSource

PAGES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "pages"
PAGE_NAMES = sorted(path.stem for path in PAGES.glob("*.html"))


def _shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = re.findall(r"\w+", text.lower())
    return Counter(tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)))


def shingle_f1(expected: str, predicted: str) -> float:
    true, pred = _shingles(expected), _shingles(predicted)
    overlap = sum((true & pred).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(pred.values())
    recall = overlap / sum(true.values())
    return 2 * precision * recall / (precision + recall)


def _extract(name: str) -> str:
    body = (PAGES / f"{name}.html").read_bytes()
    return extract_html(decode_body(body), url=f"https://news.example.org/{name}").text


def test_there_are_fixture_pages() -> None:
    assert len(PAGE_NAMES) >= 3


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_paragraph_and_heading_of_the_article_is_kept(name: str) -> None:
    text = _extract(name)
    expected = (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8")
    for line in expected.splitlines():
        if line.strip():
            assert line.strip() in text, f"{name}: lost {line[:60]!r}"
    assert shingle_f1(expected, text) >= 0.97


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_navigation_cookies_related_lists_and_comments_are_removed(name: str) -> None:
    text = _extract(name).lower()
    boilerplate = (PAGES / f"{name}.boilerplate.txt").read_text(encoding="utf-8").splitlines()
    leaked = [line for line in boilerplate if line.strip() and line.strip().lower() in text]
    assert not leaked, f"{name}: boilerplate reached the main text: {leaked}"


def test_json_ld_date_authors_and_canonical_link_are_read() -> None:
    page = extract_html(
        (PAGES / "harbor-bridge.html").read_text(encoding="utf-8"),
        url="https://www.coastal-ledger.example/news/2024/05/14/harbor-bridge-reopens",
    )
    assert page.title == "Harbor bridge reopens after two-year repair"
    assert page.published_at == datetime(2024, 5, 14, 4, 30, tzinfo=UTC)
    assert page.published_at_source == PublishedAtSource.JSON_LD
    assert page.authors == ("Maria Okafor", "Tom Reyes")
    assert page.canonical_link is not None and "harbor-bridge-reopens" in page.canonical_link
    assert not page.text.startswith("Harbor bridge reopens"), "headline repeated in the text"


def test_meta_tag_date_is_read_when_there_is_no_json_ld() -> None:
    page = extract_html((PAGES / "wire-grain-deal.html").read_text(encoding="utf-8"))
    assert page.published_at == datetime(2023, 9, 4, 11, 15, tzinfo=UTC)
    assert page.published_at_source == PublishedAtSource.META


def test_url_date_is_used_when_the_page_has_no_date_markup() -> None:
    body = (PAGES / "council-budget.html").read_bytes()
    page = extract_html(
        decode_body(body), url="https://valleypost.example/politics/2024/02/29/council-budget"
    )
    assert page.published_at == datetime(2024, 2, 29, tzinfo=UTC)
    assert page.published_at_source == PublishedAtSource.URL


def test_windows_1252_page_is_decoded_by_its_meta_charset() -> None:
    text = _extract("council-budget")
    assert "“Nobody on this side of the chamber wanted to make these choices,”" in text


def test_related_list_inside_the_article_element_is_removed_but_prose_around_it_kept() -> None:
    first = (
        "The harbour authority approved the new ferry terminal on Monday after a long review. " * 3
    )
    last = "Construction is expected to start in the spring and to last about two years. " * 3
    html = (
        f"<html><body><article><h1>Terminal approved</h1><p>{first}</p>"
        "<h3>Related stories</h3><ul><li>Ferry fares frozen</li><li>Port strike ends</li></ul>"
        f"<p>{last}</p></article></body></html>"
    )
    text = extract_html(html).text
    assert "Related stories" not in text
    assert "Ferry fares frozen" not in text and "Port strike ends" not in text
    assert text.startswith("The harbour authority approved")
    assert text.rstrip().endswith("about two years.")


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_title_author_and_date_are_those_of_trafilaturas_metadata_pass(name: str) -> None:
    import trafilatura

    from newswire.ingest.normalize.html import _TrafilaturaMetadata

    html = decode_body((PAGES / f"{name}.html").read_bytes())
    url = f"https://news.example.org/{name}"
    full = trafilatura.bare_extraction(
        trafilatura.utils.load_html(html),
        url=url,
        favor_precision=True,
        include_comments=False,
        with_metadata=True,
        date_extraction_params={"extensive_search": True, "original_date": True},
    )
    lean = _TrafilaturaMetadata(trafilatura.utils.load_html(html), url)
    assert (lean.title, lean.author, lean.date) == (full.title, full.author, full.date)
