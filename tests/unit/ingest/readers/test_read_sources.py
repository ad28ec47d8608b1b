"""Each source kind read end to end from a real loopback HTTP server (or a folder)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from newswire_testing import webserver as web

from newswire.ingest.fetch import (
    BinaryBodyError,
    BlockedAddressError,
    DocumentParseError,
    Fetcher,
    HttpStatusError,
    SourceReadError,
    UnsafeXmlError,
)
from newswire.ingest.fetch.state import Validators
from newswire.ingest.readers import ReadOutcome, read_source
from newswire.ingest.sources import Source
from schemas.articles import PublishedAtSource
from schemas.documents import FetchedDocument, SourceKind

WEB_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "web"


def make_source(kind: str, url: str | None = None, **fields: Any) -> Source:
    data: dict[str, Any] = {"id": f"test-{kind}", "kind": kind, "allow_private_network": True}
    if url is not None:
        data["url"] = url
    data.update(fields)
    return Source.model_validate(data)


def read_all(source: Source, fetcher: Fetcher, state_dir: Path) -> list[ReadOutcome]:
    return list(read_source(source, fetcher, state_dir))


def documents(outcomes: list[ReadOutcome]) -> list[FetchedDocument]:
    return [outcome.document for outcome in outcomes if outcome.document is not None]


def errors(outcomes: list[ReadOutcome]) -> list[Exception]:
    return [outcome.error for outcome in outcomes if outcome.error is not None]


def assert_body_stored(document: FetchedDocument, state_dir: Path) -> bytes:
    path = Path(document.body_path)
    assert path.is_relative_to(state_dir)
    body = path.read_bytes()
    assert hashlib.sha256(body).hexdigest() == document.body_sha256
    return body


def test_rss_entries_become_fetched_articles_with_feed_hints(fetcher, web_server, state_dir):
    source = make_source("rss", web_server.url("/feed.rss"), tags=["local"], language="en")

    outcomes = read_all(source, fetcher, state_dir)

    docs = documents(outcomes)
    assert errors(outcomes) == []
    assert [d.url for d in docs] == [
        web_server.url("/articles/harbor-bridge.html"),
        web_server.url("/articles/council-budget.html"),
    ]
    bridge = docs[0]
    assert bridge.source_kind is SourceKind.RSS
    assert bridge.http_status == 200
    assert bridge.hints.title == "Harbor bridge reopens after repairs"
    assert bridge.hints.published_at == datetime(2024, 3, 20, 9, 30, tzinfo=UTC)
    assert bridge.hints.published_at_source is PublishedAtSource.FEED
    assert bridge.hints.authors == ("Ana Ruiz",)
    assert bridge.hints.summary and "six weeks" in bridge.hints.summary
    assert bridge.hints.tags == ("transport", "local")
    assert bridge.hints.language == "en"
    assert b"Harbor bridge reopens" in assert_body_stored(bridge, state_dir)
    # The record round-trips as the JSON contract the normalize step reads.
    assert FetchedDocument.model_validate_json(bridge.model_dump_json()) == bridge


def test_second_pass_over_unchanged_feed_downloads_no_page_body(fetcher, web_server, state_dir):
    source = make_source("rss", web_server.url("/feed.rss"))
    read_all(source, fetcher, state_dir)
    web_server.clear_log()

    second = read_all(source, fetcher, state_dir)

    assert documents(second) == []
    assert [o.unchanged for o in second] == [True]
    assert [(s.path, s.status, s.body_bytes) for s in web_server.served()] == [
        ("/feed.rss", 304, 0)
    ]


def test_changed_feed_refetches_only_changed_articles_conditionally(fetcher, web_server, state_dir):
    source = make_source("rss", web_server.url("/feed.rss"))
    read_all(source, fetcher, state_dir)
    web_server.clear_log()
    # Forget the feed's validators only: the feed looks changed, its articles do not.
    assert source.url is not None
    fetcher.state.store_validators(source.url, Validators(etag=None, last_modified=None), 0.0)

    second = read_all(source, fetcher, state_dir)

    assert documents(second) == []
    assert sum(o.unchanged for o in second) == 2
    articles = web_server.served("/articles/")
    assert [(s.status, s.body_bytes) for s in articles] == [(304, 0), (304, 0)]


def test_atom_feed_content_is_the_document_when_articles_are_not_fetched(
    fetcher, web_server, state_dir
):
    source = make_source("atom", web_server.url("/feed.atom"), fetch_articles=False)

    [outcome] = read_all(source, fetcher, state_dir)

    assert outcome.document is not None
    document = outcome.document
    assert document.url == web_server.url("/articles/grain-deal.html")
    assert document.hints.authors == ("Wire Staff",)
    assert document.hints.published_at == datetime(2024, 3, 21, 7, 45, tzinfo=UTC)
    assert b"for another year, officials said" in assert_body_stored(document, state_dir)
    assert web_server.served("/articles/") == []


def test_atom_feed_articles_are_fetched(fetcher, web_server, state_dir):
    source = make_source("atom", web_server.url("/feed.atom"))

    docs = documents(read_all(source, fetcher, state_dir))

    assert [d.hints.title for d in docs] == ["Grain deal extended for a year"]
    assert b"<article>" in assert_body_stored(docs[0], state_dir)


def test_xml_bomb_feed_is_refused_with_a_clear_error(fetcher, web_server, state_dir):
    source = make_source("rss", web_server.url("/feed-bomb.xml"))

    [outcome] = read_all(source, fetcher, state_dir)

    assert isinstance(outcome.error, UnsafeXmlError)
    assert "entity" in str(outcome.error)
    assert web_server.served("/articles/") == []


def test_garbage_feed_is_a_parse_error(fetcher, web_server, state_dir):
    source = make_source("rss", web_server.url("/articles/port-strike-missing"))

    [outcome] = read_all(source, fetcher, state_dir)

    assert isinstance(outcome.error, HttpStatusError)
    source = make_source("rss", web_server.url("/robots.txt"))
    [outcome] = read_all(source, fetcher, state_dir)
    assert isinstance(outcome.error, DocumentParseError)


def test_sitemap_index_with_gzip_and_news_entries(fetcher, web_server, state_dir):
    source = make_source("sitemap", web_server.url("/sitemap-index.xml"))

    outcomes = read_all(source, fetcher, state_dir)

    assert errors(outcomes) == []
    docs = documents(outcomes)
    by_url = {d.url.rsplit("/", 1)[-1]: d for d in docs if d.url}
    assert sorted(by_url) == ["council-budget.html", "grain-deal.html", "harbor-bridge.html"]
    grain = by_url["grain-deal.html"]
    assert grain.hints.title == "Grain deal extended for a year"
    assert grain.hints.published_at == datetime(2024, 3, 21, tzinfo=UTC)
    assert grain.hints.published_at_source is PublishedAtSource.SITEMAP
    assert grain.hints.language == "en"
    assert by_url["council-budget.html"].hints.published_at is None
    # Newest first.
    assert docs[0].url == web_server.url("/articles/grain-deal.html")


def test_second_pass_over_unchanged_sitemap_downloads_nothing(fetcher, web_server, state_dir):
    source = make_source("sitemap", web_server.url("/sitemap-index.xml"))
    read_all(source, fetcher, state_dir)
    web_server.clear_log()

    second = read_all(source, fetcher, state_dir)

    # The index and both child sitemaps answer 304; no article is requested.
    assert [o.unchanged for o in second] == [True, True, True]
    assert sum(s.body_bytes for s in web_server.served()) == 0
    assert web_server.served("/articles/") == []


def test_unchanged_sitemap_index_still_finds_new_urls_in_a_changed_child(
    fetcher, web_server, state_dir
):
    source = make_source("sitemap", web_server.url("/sitemap-index.xml"))
    read_all(source, fetcher, state_dir)
    pages = (WEB_DIR / "sitemap-pages.xml").read_text(encoding="utf-8")
    changed = pages.replace(
        "</urlset>",
        "<url><loc>{{base}}/articles/cafe-reopens.html</loc></url></urlset>",
    )
    web_server.routes["/sitemap-pages.xml"] = lambda context: web.Reply(
        200, {"Content-Type": "application/xml"}, changed.replace("{{base}}", context.base).encode()
    )

    second = read_all(source, fetcher, state_dir)

    assert [d.url for d in documents(second)] == [web_server.url("/articles/cafe-reopens.html")]
    assert errors(second) == []


def test_html_listing_links_matching_the_pattern_are_followed_once(fetcher, web_server, state_dir):
    source = make_source(
        "html",
        web_server.url("/listing.html"),
        html={"follow_links": True, "link_pattern": r"/articles/[a-z-]+\.html$"},
    )

    outcomes = read_all(source, fetcher, state_dir)

    assert errors(outcomes) == []
    assert [d.url for d in documents(outcomes)] == [
        web_server.url("/articles/harbor-bridge.html"),
        web_server.url("/articles/council-budget.html"),
    ]
    web_server.clear_log()
    second = read_all(source, fetcher, state_dir)
    assert [o.unchanged for o in second] == [True]
    assert web_server.served("/articles/") == []


def test_html_article_url_is_one_document(fetcher, web_server, state_dir):
    source = make_source("html", web_server.url("/wrong-charset.html"))

    [outcome] = read_all(source, fetcher, state_dir)

    assert outcome.document is not None
    assert outcome.document.detected_charset == "cp1252"
    # The server lies about the charset; what it declared is kept apart from what we detected.
    assert outcome.document.declared_charset != "cp1252"
    body = assert_body_stored(outcome.document, state_dir)
    assert "crème brûlée et thé glacé" in body.decode(outcome.document.detected_charset)


def test_json_api_with_cursor_pagination_and_field_mapping(fetcher, web_server, state_dir):
    source = make_source(
        "json",
        web_server.url("/api/cursor"),
        json={
            "fields": {
                "items": "data.articles",
                "url": "link",
                "title": "headline",
                "published_at": "published",
                "authors": "byline",
                "text": "body",
                "language": "lang",
            },
            "pagination": {"type": "cursor", "cursor_field": "next", "cursor_param": "cursor"},
        },
    )

    outcomes = read_all(source, fetcher, state_dir)

    assert errors(outcomes) == []
    docs = documents(outcomes)
    assert [d.hints.title for d in docs] == [
        "Port strike ends",
        "Grain deal extended",
        "Ferry timetable changes",
    ]
    strike, grain, ferry = docs
    assert strike.hints.text and strike.hints.text.startswith("Dock workers returned")
    assert strike.hints.authors == ("Lee Chan",)
    assert strike.hints.published_at_source is PublishedAtSource.API
    assert strike.content_type == "application/json"
    assert grain.http_status == 200, "an item without text has its page fetched"
    assert grain.hints.published_at == datetime.fromtimestamp(1711007100, UTC)
    assert ferry.hints.published_at == datetime(2024, 3, 23, tzinfo=UTC)
    assert [s.path for s in web_server.served("/api/")] == ["/api/cursor", "/api/cursor"]


def test_json_api_page_pagination_stops_at_an_empty_page_and_reports_bad_items(
    fetcher, web_server, state_dir
):
    source = make_source(
        "json",
        web_server.url("/api/pages"),
        json={"pagination": {"type": "page", "max_pages": 10}},
    )

    outcomes = read_all(source, fetcher, state_dir)

    assert [d.hints.title for d in documents(outcomes)] == [
        "Harbor bridge reopens",
        "Council passes the budget",
    ]
    [error] = errors(outcomes)
    assert isinstance(error, DocumentParseError)
    assert "no text and no URL" in str(error)
    assert len(web_server.served("/api/pages")) == 3


def test_filedrop_reads_new_files_and_skips_seen_ones(fetcher, state_dir, tmp_path):
    drop = tmp_path / "drop"
    shutil.copytree(WEB_DIR / "drop", drop)
    source = make_source("filedrop", path=str(drop), language="en")

    first = read_all(source, fetcher, state_dir)

    docs = documents(first)
    names = [Path(d.body_path).name for d in docs]
    assert names == ["2024-03-20-macron-call.txt", "ferry-strike.html", "wire-item.json"]
    assert [d.content_type for d in docs] == ["text/plain", "text/html", "application/json"]
    assert all(d.url is None and d.source_kind is SourceKind.FILEDROP for d in docs)
    assert assert_body_stored(docs[0], state_dir).startswith(b" date 2024-03-20")

    second = read_all(source, fetcher, state_dir)
    assert documents(second) == []
    assert sum(o.unchanged for o in second) == 3

    (drop / "ferry-strike.html").write_text(
        "<p>Ferry crews return on Friday.</p>", encoding="utf-8"
    )
    third = read_all(source, fetcher, state_dir)
    assert [Path(d.body_path).name for d in documents(third)] == ["ferry-strike.html"]


def test_filedrop_binary_file_is_an_error_and_the_run_goes_on(fetcher, state_dir, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a-photo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    (drop / "b-story.txt").write_text("Title line\nA story body that is long enough.\n")
    source = make_source("filedrop", path=str(drop))

    outcomes = read_all(source, fetcher, state_dir)

    assert isinstance(outcomes[0].error, BinaryBodyError)
    assert outcomes[0].target.endswith("a-photo.html")
    assert [Path(d.body_path).name for d in documents(outcomes)] == ["b-story.txt"]


def test_filedrop_missing_folder_is_a_source_error(fetcher, state_dir, tmp_path):
    source = make_source("filedrop", path=str(tmp_path / "absent"))

    [outcome] = read_all(source, fetcher, state_dir)

    assert isinstance(outcome.error, SourceReadError)
    assert "does not exist" in str(outcome.error)


def test_one_bad_article_does_not_stop_the_feed(fetcher, web_server, state_dir, tmp_path):
    feed = (WEB_DIR / "feed.rss").read_text(encoding="utf-8")
    broken = feed.replace("{{base}}/articles/council-budget.html", "{{base}}/gone", 1)
    web_server.routes["/broken-feed.rss"] = lambda context: web.Reply(
        200,
        {"Content-Type": "application/rss+xml"},
        broken.replace("{{base}}", context.base).encode(),
    )
    source = make_source("rss", web_server.url("/broken-feed.rss"))

    outcomes = read_all(source, fetcher, state_dir)

    assert len(documents(outcomes)) == 1
    [error] = errors(outcomes)
    assert isinstance(error, HttpStatusError)
    assert error.url.endswith("/gone")


def test_private_source_without_permission_is_refused_per_item(fetcher, web_server, state_dir):
    source = make_source("rss", web_server.url("/feed.rss"), allow_private_network=False)

    [outcome] = read_all(source, fetcher, state_dir)

    assert isinstance(outcome.error, BlockedAddressError)
    assert "allow_private_network" in str(outcome.error)
    assert web_server.served() == []


@pytest.mark.parametrize("kind", [kind.value for kind in SourceKind])
def test_every_kind_has_a_reader(kind: str):
    from newswire.ingest.readers import READERS

    assert SourceKind(kind) in READERS


def test_second_pass_over_unchanged_api_and_article_downloads_nothing(
    fetcher, web_server, state_dir
):
    api = make_source("json", web_server.url("/api/pages"), json={"pagination": {"type": "page"}})
    article = make_source("html", web_server.url("/articles/grain-deal.html"))
    read_all(api, fetcher, state_dir)
    read_all(article, fetcher, state_dir)
    web_server.clear_log()

    again = read_all(api, fetcher, state_dir) + read_all(article, fetcher, state_dir)

    assert documents(again) == []
    assert [o.unchanged for o in again] == [True, True]
    assert sum(s.body_bytes for s in web_server.served()) == 0


def test_xml_bomb_sitemap_is_refused_with_a_clear_error(fetcher, web_server, state_dir):
    source = make_source("sitemap", web_server.url("/feed-bomb.xml"))

    [outcome] = read_all(source, fetcher, state_dir)

    assert isinstance(outcome.error, UnsafeXmlError)
    assert outcome.error.url.endswith("/feed-bomb.xml")


def test_gzip_bomb_is_cut_at_the_cap():
    import gzip

    from newswire.ingest.fetch import BodyTooLargeError
    from newswire.ingest.readers.xmlsafe import gunzip_capped

    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000

    with pytest.raises(BodyTooLargeError, match="expands beyond"):
        gunzip_capped(bomb, "http://x.example/sitemap.xml.gz", cap=1_000_000)
    assert gunzip_capped(gzip.compress(b"<urlset/>"), "u", cap=100) == b"<urlset/>"


def test_feed_entry_without_link_falls_back_to_its_content(fetcher, web_server, state_dir):
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Linkless</title><description>&lt;p&gt;Ferry crews returned to work on "
        b"Friday after talks.&lt;/p&gt;</description></item>"
        b"<item><title>Empty</title></item></channel></rss>"
    )
    web_server.routes["/linkless.rss"] = lambda context: web.Reply(
        200, {"Content-Type": "application/rss+xml"}, feed
    )
    source = make_source("rss", web_server.url("/linkless.rss"))

    outcomes = read_all(source, fetcher, state_dir)

    [document] = documents(outcomes)
    assert document.url is None
    assert document.hints.title == "Linkless"
    assert b"Ferry crews returned" in assert_body_stored(document, state_dir)
    [error] = errors(outcomes)
    assert "entry has no content" in str(error)
