"""HTML sources: an article URL, or a listing page whose matching links are followed one level."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from newswire.ingest.fetch.errors import FetchError
from newswire.ingest.fetch.fetcher import PAGE_ACCEPT, Fetcher, check_url
from newswire.ingest.readers.common import (
    PendingFetch,
    ReaderItem,
    ReadOutcome,
    error_outcome,
    fetch_parsed,
)
from newswire.ingest.sources import Source
from schemas.documents import DocumentHints


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = (values.get("href") or "").strip()
        if not href:
            return
        if tag == "base" and self.base is None:
            self.base = href
        elif tag == "a":
            self.links.append(href)


def listing_links(
    html: str,
    page_url: str,
    pattern: str,
    *,
    same_host_only: bool = True,
    limit: int = 50,
) -> list[str]:
    """Absolute http(s) links of a listing page whose URL matches ``pattern`` (regex search).

    In document order, without duplicates, fragments or the page itself; at most ``limit``.
    """
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    host = urlsplit(page_url).hostname
    regex = re.compile(pattern)
    links: list[str] = []
    for href in collector.links:
        absolute = urljoin(base, href).split("#", 1)[0]
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or absolute == page_url:
            continue
        if same_host_only and parts.hostname != host:
            continue
        if regex.search(absolute) and absolute not in links:
            links.append(absolute)
        if len(links) >= limit:
            break
    return links


def read_html(source: Source, fetcher: Fetcher, state_dir: Path) -> Iterator[ReaderItem]:
    """Outcomes of one pass over an html source."""
    assert source.url is not None
    options = source.html_options
    if not options.follow_links:
        yield PendingFetch(source, source.url, DocumentHints())
        return
    pattern = options.link_pattern
    assert pattern is not None
    links = fetch_parsed(
        source,
        fetcher,
        source.url,
        PAGE_ACCEPT,
        lambda result: listing_links(
            result.text(),
            result.final_url,
            pattern,
            same_host_only=options.same_host_only,
            limit=min(options.max_links, source.max_items),
        ),
    )
    if isinstance(links, ReadOutcome):
        yield links
        return
    for link in links:
        try:
            url = check_url(link)
        except FetchError as exc:
            yield error_outcome(source, exc)
            continue
        yield PendingFetch(source, url, DocumentHints())
