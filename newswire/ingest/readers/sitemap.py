"""Sitemaps: news sitemaps (publication date, title, language), regular ones, indexes, gzip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from newswire.ingest.fetch.errors import DocumentParseError, FetchError
from newswire.ingest.fetch.fetcher import FEED_ACCEPT, Fetcher, check_url
from newswire.ingest.readers.common import (
    PendingFetch,
    ReaderItem,
    error_outcome,
    parse_datetime,
    unchanged_outcome,
)
from newswire.ingest.readers.xmlsafe import (
    child_text,
    find_child,
    gunzip_capped,
    local_name,
    parse_xml,
)
from newswire.ingest.sources import Source
from schemas.articles import PublishedAtSource
from schemas.documents import DocumentHints

MAX_CHILD_SITEMAPS = 50
_CHILDREN_MEMO = "sitemap-children:"
MAX_INDEX_DEPTH = 2


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` of a sitemap with what it says about the page."""

    url: str
    published_at: datetime | None
    lastmod: datetime | None
    title: str | None
    language: str | None

    @property
    def sort_key(self) -> float:
        """Newest first: the publication date, else lastmod."""
        when = self.published_at or self.lastmod
        return -when.timestamp() if when else 0.0

    def hints(self) -> DocumentHints:
        """Hints for the page: the news title and publication date."""
        if self.published_at is not None:
            published, where = self.published_at, PublishedAtSource.SITEMAP
        else:
            published, where = None, PublishedAtSource.NONE
        return DocumentHints(
            title=self.title,
            published_at=published,
            published_at_source=where,
            language=self.language,
        )


def parse_sitemap(root: Element, url: str) -> tuple[list[str], list[SitemapEntry]]:
    """``(child sitemap URLs, page entries)`` of a parsed ``sitemapindex`` or ``urlset``."""
    kind = local_name(root)
    if kind == "sitemapindex":
        children = [child_text(item, "loc") for item in root if local_name(item) == "sitemap"]
        return [loc for loc in children if loc], []
    if kind != "urlset":
        raise DocumentParseError(url, f"not a sitemap (root element <{kind}>)")
    entries: list[SitemapEntry] = []
    for item in root:
        if local_name(item) != "url":
            continue
        loc = child_text(item, "loc")
        if not loc:
            continue
        news = find_child(item, "news")
        published = title = language = None
        if news is not None:
            published = parse_datetime(child_text(news, "publication_date"))
            title = child_text(news, "title")
            publication = find_child(news, "publication")
            if publication is not None:
                code = (child_text(publication, "language") or "").split("-")[0].lower()
                language = code if code.isalpha() and 2 <= len(code) <= 3 else None
        entries.append(
            SitemapEntry(
                url=loc,
                published_at=published,
                lastmod=parse_datetime(child_text(item, "lastmod")),
                title=title,
                language=language,
            )
        )
    return [], entries


def _remembered_children(fetcher: Fetcher, url: str) -> list[str]:
    stored = fetcher.state.memo(_CHILDREN_MEMO + url)
    if stored is None:
        return []
    children = json.loads(stored)
    return [str(child) for child in children] if isinstance(children, list) else []


def read_sitemap(source: Source, fetcher: Fetcher, state_dir: Path) -> Iterator[ReaderItem]:
    """Outcomes of one pass over a sitemap source (following an index one or two levels)."""
    assert source.url is not None
    entries: list[SitemapEntry] = []
    pending: list[tuple[str, int]] = [(source.url, 0)]
    visited: set[str] = set()
    while pending and len(visited) <= MAX_CHILD_SITEMAPS:
        url, depth = pending.pop(0)
        if url in visited:
            continue
        visited.add(url)
        children: list[str] = []
        found: list[SitemapEntry] = []
        try:
            result = fetcher.fetch_for(source, url, accept=FEED_ACCEPT, allow_gzip=True)
            if result.not_modified:
                yield unchanged_outcome(source, result.url)
                # An unchanged index still has children that may have changed: walk them
                # (conditionally) from the list remembered when the index was last read.
                children = _remembered_children(fetcher, url)
            else:
                body = gunzip_capped(result.body, url, fetcher.settings.max_body_bytes)
                children, found = parse_sitemap(parse_xml(body, url), url)
                if children:
                    fetcher.state.store_memo(_CHILDREN_MEMO + url, json.dumps(children))
        except FetchError as exc:
            yield error_outcome(source, exc)
            continue
        entries.extend(found)
        if children and depth >= MAX_INDEX_DEPTH:
            yield error_outcome(
                source, DocumentParseError(url, "sitemap index nested too deep; not followed")
            )
            continue
        for child in children:
            try:
                pending.append((check_url(child), depth + 1))
            except FetchError as exc:
                yield error_outcome(source, exc)
    entries.sort(key=lambda entry: entry.sort_key)
    seen: set[str] = set()
    count = 0
    for entry in entries:
        if entry.url in seen:
            continue
        seen.add(entry.url)
        if count >= source.max_items:
            break
        count += 1
        yield PendingFetch(source, entry.url, entry.hints())
