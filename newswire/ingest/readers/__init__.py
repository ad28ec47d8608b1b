"""Readers: one module per source kind, and :func:`read_source`, the single entry point."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from newswire.ingest.fetch.errors import FetchError, SourceReadError
from newswire.ingest.fetch.fetcher import Fetcher
from newswire.ingest.readers.common import ReadOutcome, error_outcome
from newswire.ingest.readers.feeds import read_feed
from newswire.ingest.readers.filedrop import read_filedrop
from newswire.ingest.readers.jsonapi import read_json
from newswire.ingest.readers.pages import read_html
from newswire.ingest.readers.sitemap import read_sitemap
from newswire.ingest.sources import Source
from schemas.documents import SourceKind

Reader = Callable[[Source, Fetcher, Path], Iterator[ReadOutcome]]

READERS: dict[SourceKind, Reader] = {
    SourceKind.RSS: read_feed,
    SourceKind.ATOM: read_feed,
    SourceKind.SITEMAP: read_sitemap,
    SourceKind.HTML: read_html,
    SourceKind.JSON: read_json,
    SourceKind.FILEDROP: read_filedrop,
}


def read_source(source: Source, fetcher: Fetcher, state_dir: Path) -> Iterator[ReadOutcome]:
    """One pass over a source: an outcome per item (document, unchanged, or error).

    Bodies are written under ``state_dir``; the fetcher must be open. A failing item yields an
    outcome with ``error`` set and the pass goes on; only errors that are not ours escape.
    """
    reader = READERS[source.kind]
    try:
        yield from reader(source, fetcher, state_dir)
    except FetchError as exc:
        yield error_outcome(source, exc)
    except OSError as exc:
        yield error_outcome(
            source, SourceReadError(source.url or str(source.path), f"I/O error: {exc}")
        )


__all__ = ["READERS", "ReadOutcome", "read_source"]
