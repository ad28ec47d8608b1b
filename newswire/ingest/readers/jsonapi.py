"""JSON news APIs: a field mapping from the catalogue, cursor or page pagination, bounded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newswire.ingest.fetch.errors import DocumentParseError, FetchError
from newswire.ingest.fetch.fetcher import JSON_ACCEPT, Fetcher, check_url
from newswire.ingest.readers.common import (
    PendingFetch,
    ReaderItem,
    document_from_bytes,
    document_outcome,
    error_outcome,
    parse_datetime,
    unchanged_outcome,
)
from newswire.ingest.sources import CursorPagination, JsonFieldMapping, PagePagination, Source
from schemas.articles import PublishedAtSource
from schemas.documents import DocumentHints


def get_path(data: Any, path: str | None) -> Any:
    """The value at a dotted path (``a.b.0.c``) of parsed JSON, or None when absent."""
    if path is None:
        return None
    current = data
    for part in [p for p in path.split(".") if p]:
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _strings(value: Any) -> tuple[str, ...]:
    """A string, a list of strings, or a list of ``{"name": ...}`` objects, as strings."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str) and item.strip():
            names.append(item.strip())
    return tuple(dict.fromkeys(names))


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def item_hints(item: dict[str, Any], fields: JsonFieldMapping) -> DocumentHints:
    """Hints read from one API item through the field mapping."""
    published = parse_datetime(get_path(item, fields.published_at))
    language = _text(get_path(item, fields.language))
    code = language.split("-")[0].lower() if language else None
    return DocumentHints(
        title=_text(get_path(item, fields.title)),
        published_at=published,
        published_at_source=PublishedAtSource.API if published else PublishedAtSource.NONE,
        authors=_strings(get_path(item, fields.authors)),
        summary=_text(get_path(item, fields.summary)),
        text=_text(get_path(item, fields.text)),
        language=code if code and code.isalpha() and 2 <= len(code) <= 3 else None,
        tags=_strings(get_path(item, fields.tags)),
    )


def with_params(url: str, params: dict[str, str]) -> str:
    """``url`` with query parameters added or replaced."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _page_urls(source: Source) -> Iterator[tuple[str, int]]:
    """Successive page URLs for page pagination (index, URL); cursors are handled by the caller."""
    assert source.url is not None
    options = source.json_options
    pagination = options.pagination
    base = with_params(source.url, options.params) if options.params else source.url
    if not isinstance(pagination, PagePagination):
        yield base, 0
        return
    for index in range(pagination.max_pages):
        params = {pagination.page_param: str(pagination.first_page + index)}
        if pagination.page_size_param and pagination.page_size:
            params[pagination.page_size_param] = str(pagination.page_size)
        yield with_params(base, params), index


def read_json(source: Source, fetcher: Fetcher, state_dir: Path) -> Iterator[ReaderItem]:
    """Outcomes of one pass over a json API source."""
    assert source.url is not None
    options = source.json_options
    fields = options.fields
    pagination = options.pagination
    produced = 0
    urls = list(_page_urls(source))
    queue = [urls[0][0]] if isinstance(pagination, CursorPagination) else [u for u, _ in urls]
    pages = 0
    seen_cursors: set[str] = set()
    while queue and produced < source.max_items:
        url = queue.pop(0)
        pages += 1
        try:
            result = fetcher.fetch_for(source, url, accept=JSON_ACCEPT)
            if result.not_modified:
                yield unchanged_outcome(source, result.url)
                # An unchanged first page: later pages are not walked (cursors are unknown).
                break
            try:
                data = json.loads(result.text())
            except json.JSONDecodeError as exc:
                raise DocumentParseError(url, f"not valid JSON: {exc}") from None
            items = get_path(data, fields.items) if fields.items else data
            if not isinstance(items, list):
                raise DocumentParseError(url, f"no list of items at {fields.items or '(root)'!r}")
        except FetchError as exc:
            yield error_outcome(source, exc)
            break
        for index, item in enumerate(items):
            if produced >= source.max_items:
                break
            produced += 1
            yield _item_outcome(source, fetcher, state_dir, url, index, item, result.fetched_at)
        if not items:
            break
        if isinstance(pagination, CursorPagination) and pages < pagination.max_pages:
            cursor = get_path(data, pagination.cursor_field)
            if cursor is not None and str(cursor) and str(cursor) not in seen_cursors:
                seen_cursors.add(str(cursor))
                queue.append(with_params(url, {pagination.cursor_param: str(cursor)}))


def _item_outcome(
    source: Source,
    fetcher: Fetcher,
    state_dir: Path,
    page_url: str,
    index: int,
    item: Any,
    fetched_at: datetime,
) -> ReaderItem:
    target = f"{page_url}#item-{index}"
    if not isinstance(item, dict):
        return error_outcome(source, DocumentParseError(target, "item is not a JSON object"))
    fields = source.json_options.fields
    hints = item_hints(item, fields)
    raw_url = _text(get_path(item, fields.url))
    url: str | None = None
    if raw_url is not None:
        try:
            url = check_url(raw_url)
        except FetchError as exc:
            return error_outcome(source, exc)
    if hints.text:
        document = document_from_bytes(
            source,
            json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8"),
            url=url,
            content_type="application/json",
            hints=hints,
            state_dir=state_dir,
            fetched_at=fetched_at,
        )
        return document_outcome(source, url or target, document)
    if url is not None and source.json_options.fetch_articles:
        return PendingFetch(source, url, hints)
    return error_outcome(
        source, DocumentParseError(target, "item has no text and no URL to fetch (field mapping)")
    )
