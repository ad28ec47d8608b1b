"""RSS and Atom feeds: we fetch the bytes, feedparser only parses them.

Each entry becomes an article URL to fetch, with the entry's title, date, authors and summary as
hints (the summary or content is the normalize step's fallback). With ``fetch_articles: false``
the entry's own content is the document.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from newswire.ingest.fetch.errors import DocumentParseError
from newswire.ingest.fetch.fetcher import FEED_ACCEPT, Fetcher
from newswire.ingest.readers.common import (
    PendingFetch,
    ReaderItem,
    ReadOutcome,
    document_from_bytes,
    document_outcome,
    error_outcome,
    fetch_parsed,
)
from newswire.ingest.readers.xmlsafe import check_xml_safe
from newswire.ingest.sources import Source
from schemas.articles import PublishedAtSource
from schemas.documents import DocumentHints


def _entry_datetime(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _entry_authors(entry: Any) -> tuple[str, ...]:
    names = [str(a.get("name", "")).strip() for a in entry.get("authors", []) if a]
    if not any(names) and entry.get("author"):
        names = [str(entry.get("author")).strip()]
    return tuple(dict.fromkeys(name for name in names if name))


def _entry_content(entry: Any) -> str | None:
    contents = entry.get("content") or []
    values = [str(c.get("value", "")) for c in contents if c.get("value")]
    return max(values, key=len) if values else None


def entry_hints(entry: Any) -> DocumentHints:
    """Hints from one feedparser entry: title, date, authors, summary, tags.

    The summary is the longer of the entry's summary and content, kept as HTML for the normalize
    step's fallback.
    """
    published = _entry_datetime(entry)
    summary = entry.get("summary") or None
    content = _entry_content(entry)
    if content and (summary is None or len(content) > len(summary)):
        summary = content
    tags = tuple(
        dict.fromkeys(
            str(t.get("term", "")).strip() for t in entry.get("tags", []) if t.get("term")
        )
    )
    language = None
    detail = entry.get("title_detail") or {}
    if detail.get("language"):
        language = str(detail["language"]).split("-")[0].lower() or None
    return DocumentHints(
        title=(entry.get("title") or "").strip() or None,
        published_at=published,
        published_at_source=PublishedAtSource.FEED if published else PublishedAtSource.NONE,
        authors=_entry_authors(entry),
        summary=summary,
        language=language if language and language.isalpha() and len(language) <= 3 else None,
        tags=tags,
    )


def parse_feed(body: bytes, url: str, content_type: str | None) -> Any:
    """Parse feed bytes with feedparser after refusing unsafe XML; raise on an unreadable feed."""
    check_xml_safe(body, url)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers)
    if parsed.get("bozo") and not parsed.get("entries"):
        problem = parsed.get("bozo_exception")
        raise DocumentParseError(url, f"not a readable RSS/Atom feed: {problem}")
    return parsed


def read_feed(source: Source, fetcher: Fetcher, state_dir: Path) -> Iterator[ReaderItem]:
    """Outcomes of one pass over an rss or atom source."""
    assert source.url is not None
    listing = fetch_parsed(
        source,
        fetcher,
        source.url,
        FEED_ACCEPT,
        lambda result: (result, parse_feed(result.body, result.final_url, result.content_type)),
    )
    if isinstance(listing, ReadOutcome):
        yield listing
        return
    result, parsed = listing
    for index, entry in enumerate(parsed.entries[: source.max_items]):
        hints = entry_hints(entry)
        link = str(entry.get("link") or "").strip()
        if source.fetch_articles and link:
            yield PendingFetch(source, link, hints)
            continue
        # Not fetching pages, or an entry without a link: the feed's own content is the document.
        body = hints.summary or ""
        if not body.strip():
            target = link or f"{source.url}#entry-{index}"
            yield error_outcome(source, DocumentParseError(target, "entry has no content"))
            continue
        html = f"<html><head><title></title></head><body><article>{body}</article></body></html>"
        document = document_from_bytes(
            source,
            html.encode("utf-8"),
            url=link or None,
            content_type="text/html; charset=utf-8",
            hints=hints,
            state_dir=state_dir,
            fetched_at=result.fetched_at,
        )
        yield document_outcome(source, link or source.url, document)
