from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.ingest.normalize import (
    NormalizeError,
    NormalizeOptions,
    normalize_document,
    normalize_file_bytes,
    normalize_path,
)
from schemas.articles import NormalizedArticle, PublishedAtSource, TextMethod
from schemas.base import stable_id
from schemas.documents import DocumentHints, FetchedDocument, SourceKind

PAGES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "pages"
OPTIONS = NormalizeOptions(num_perm=64, shingle_size=5)
FETCHED_AT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

SEED_EXPECTATIONS = {
    "000_4cbe64c3db010b32.txt": (
        datetime(2024, 3, 20, tzinfo=UTC),
        "Amidst escalating tensions in Eastern Europe, a confidential conversation between French President Emmanuel Macron and Russian President Vladimir Putin has inadvertently surfaced, triggering a wave of controversy and diplomatic fury.",
    ),
    "001_a1e466cc905d77f2.txt": (None, "Putin & Macron: Ukraine Invasion Talks After 3 Years"),
    "002_76f42d9db3e3c83c.txt": (
        datetime(2022, 7, 7, tzinfo=UTC),
        "Russia on Wednesday slammed French President Emmanuel Macron for breach of diplomatic confidentiality after the latter exposed telephone exchanges related to Moscow's military intervention of Ukraine.",
    ),
    "003_380790700f85f489.txt": (
        None,
        "Putin-Witkoff Meeting Sparks Diplomatic Tensions Amid Calls for NATO Involvement in Ukraine",
    ),
}


def _document(body_path: Path, **fields: object) -> FetchedDocument:
    body = body_path.read_bytes()
    values: dict[str, object] = {
        "source_id": "test-source",
        "source_kind": SourceKind.HTML,
        "body_path": str(body_path),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "fetched_at": FETCHED_AT,
        **fields,
    }
    return FetchedDocument.model_validate(values, strict=False)


@pytest.mark.parametrize("name", sorted(SEED_EXPECTATIONS))
def test_seed_files_get_the_right_dates_and_titles(seeds_dir: Path, name: str) -> None:
    article = normalize_path(seeds_dir / name, source_id="seeds", options=OPTIONS)
    published_at, title = SEED_EXPECTATIONS[name]
    assert article.title == title
    assert article.published_at == published_at
    expected_source = PublishedAtSource.FILE if published_at else PublishedAtSource.NONE
    assert article.published_at_source == expected_source
    assert article.id == stable_id("seeds", name)
    assert article.language == "en"
    assert article.text_method == TextMethod.PLAIN_TEXT
    assert not article.text.lstrip().lower().startswith(("date ", "news\n"))
    assert article.source_path == str(seeds_dir / name)


def test_every_seed_file_is_covered(seeds_dir: Path) -> None:
    assert {path.name for path in seeds_dir.iterdir()} <= set(SEED_EXPECTATIONS)


def test_date_line_seed_text_starts_with_its_first_sentence(seeds_dir: Path) -> None:
    article = normalize_path(seeds_dir / "000_4cbe64c3db010b32.txt", source_id="s", options=OPTIONS)
    assert article.text.startswith("Amidst escalating tensions in Eastern Europe")
    assert "Unexpected Revelation" in article.text


def test_normalized_article_round_trips_through_its_json_contract(seeds_dir: Path) -> None:
    article = normalize_path(seeds_dir / "001_a1e466cc905d77f2.txt", source_id="s", options=OPTIONS)
    assert NormalizedArticle.model_validate_json(article.model_dump_json()) == article
    assert len(article.near_duplicate_signature) == 64


def test_fetched_html_page_gets_canonical_url_id_and_feed_hints(tmp_path: Path) -> None:
    body_path = tmp_path / "body.html"
    body_path.write_bytes((PAGES / "harbor-bridge.html").read_bytes())
    url = "https://WWW.coastal-ledger.example/news/2024/05/14/harbor-bridge-reopens?utm_source=rss&fbclid=abc#top"
    document = _document(
        body_path,
        url=url,
        content_type="text/html; charset=utf-8",
        hints=DocumentHints(
            title="Harbor bridge reopens",
            published_at=datetime(2024, 5, 14, 5, 0, tzinfo=UTC),
            published_at_source=PublishedAtSource.FEED,
            tags=("local",),
        ),
    )
    article = normalize_document(document, body_path.read_bytes(), OPTIONS)
    canonical = "https://www.coastal-ledger.example/news/2024/05/14/harbor-bridge-reopens"
    assert article.canonical_url == canonical
    assert article.id == stable_id(canonical)
    assert article.url == url
    assert article.title == "Harbor bridge reopens"
    assert article.published_at_source == PublishedAtSource.FEED
    assert article.authors == ("Maria Okafor", "Tom Reyes")
    assert article.tags == ("local",)
    assert article.text_method == TextMethod.TRAFILATURA
    assert article.fetched_at == FETCHED_AT


def test_url_variants_of_one_page_get_one_id(tmp_path: Path) -> None:
    body_path = tmp_path / "body.html"
    body_path.write_bytes((PAGES / "wire-grain-deal.html").read_bytes())
    ids = {
        normalize_document(_document(body_path, url=url), body_path.read_bytes(), OPTIONS).id
        for url in (
            "https://news.example.org/world/grain-talks?utm_source=twitter",
            "https://NEWS.example.org:443/world/./grain-talks#comments",
            "https://news.example.org/world//grain-talks?fbclid=zz&utm_medium=social",
        )
    }
    assert len(ids) == 1


def test_api_text_hint_is_used_as_is(tmp_path: Path) -> None:
    body_path = tmp_path / "item.json"
    body_path.write_text("{}", encoding="utf-8")
    document = _document(
        body_path,
        source_kind=SourceKind.JSON,
        url="https://api.example.org/items/7",
        content_type="application/json",
        hints=DocumentHints(
            title="Rail strike called off",
            text="Unions called off Monday's rail strike after a late offer on pay and hours.",
            published_at=datetime(2024, 2, 2, tzinfo=UTC),
            published_at_source=PublishedAtSource.API,
        ),
    )
    article = normalize_document(document, body_path.read_bytes(), OPTIONS)
    assert article.text_method == TextMethod.API_FIELD
    assert article.title == "Rail strike called off"
    assert article.published_at_source == PublishedAtSource.API


def test_page_without_text_falls_back_to_the_feed_summary(tmp_path: Path) -> None:
    body_path = tmp_path / "empty.html"
    body_path.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", "utf-8")
    document = _document(
        body_path,
        source_kind=SourceKind.RSS,
        url="https://example.org/story-1",
        content_type="text/html",
        hints=DocumentHints(
            title="Story one",
            summary="<p>Firefighters contained the blaze near the harbour on Sunday night.</p>",
        ),
    )
    article = normalize_document(document, body_path.read_bytes(), OPTIONS)
    assert article.text_method == TextMethod.FEED_SUMMARY
    assert article.text == "Firefighters contained the blaze near the harbour on Sunday night."


def test_page_without_text_or_summary_is_a_clear_error(tmp_path: Path) -> None:
    body_path = tmp_path / "empty.html"
    body_path.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", "utf-8")
    document = _document(body_path, url="https://example.org/empty", content_type="text/html")
    with pytest.raises(NormalizeError, match="no article text"):
        normalize_document(document, body_path.read_bytes(), OPTIONS)


def test_json_file_with_url_gets_its_id_from_the_url() -> None:
    payload = {
        "title": "Flood warning lifted",
        "text": "The flood warning for the river valley was lifted on Wednesday as water levels fell.",
        "url": "https://example.org/flood?utm_campaign=x",
        "published": "2024-04-03T09:30:00+01:00",
    }
    article = normalize_file_bytes(
        json.dumps(payload).encode(),
        file_name="flood.json",
        source_id="drop",
        fetched_at=FETCHED_AT,
        options=OPTIONS,
    )
    assert article.id == stable_id("https://example.org/flood")
    assert article.published_at == datetime(2024, 4, 3, 8, 30, tzinfo=UTC)
    assert article.published_at_source == PublishedAtSource.API
    assert article.text_method == TextMethod.API_FIELD


def test_filedrop_html_without_url_gets_id_from_source_and_file_name(tmp_path: Path) -> None:
    body_path = tmp_path / "council-budget.html"
    body_path.write_bytes((PAGES / "council-budget.html").read_bytes())
    document = _document(body_path, source_kind=SourceKind.FILEDROP, source_id="drop")
    article = normalize_document(document, body_path.read_bytes(), OPTIONS)
    assert article.id == stable_id("drop", "council-budget.html")
    assert article.canonical_url is None


@pytest.mark.parametrize(
    ("file_name", "body", "message"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n", "unsupported file type"),
        ("empty.txt", b"   \n", "empty file"),
        ("blank.txt", "\u00a0\n".encode(), "empty text file"),
        ("binary.txt", b"\x00\x01\x02\x03" * 64, "binary"),
        ("short.txt", b"Title\nToo short.", "too short"),
        ("broken.json", b"{oops", "not valid JSON"),
    ],
)
def test_bad_files_raise_a_clear_error(file_name: str, body: bytes, message: str) -> None:
    with pytest.raises(NormalizeError, match=message):
        normalize_file_bytes(
            body, file_name=file_name, source_id="drop", fetched_at=FETCHED_AT, options=OPTIONS
        )
