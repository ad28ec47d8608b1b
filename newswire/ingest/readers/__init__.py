"""Readers: one module per source kind, and :func:`read_source`, the single entry point."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from newswire.ingest.fetch.errors import FetchError, SourceReadError
from newswire.ingest.fetch.fetcher import Fetcher
from newswire.ingest.fetch.pool import FetchPool, PoolTask
from newswire.ingest.readers.common import (
    PendingFetch,
    ReaderItem,
    ReadOutcome,
    deferred_outcome,
    error_outcome,
)
from newswire.ingest.readers.feeds import read_feed
from newswire.ingest.readers.filedrop import read_filedrop
from newswire.ingest.readers.jsonapi import read_json
from newswire.ingest.readers.pages import read_html
from newswire.ingest.readers.sitemap import read_sitemap
from newswire.ingest.sources import Source
from schemas.documents import SourceKind

Reader = Callable[[Source, Fetcher, Path], Iterator[ReaderItem] | Iterator[ReadOutcome]]

READERS: dict[SourceKind, Reader] = {
    SourceKind.RSS: read_feed,
    SourceKind.ATOM: read_feed,
    SourceKind.SITEMAP: read_sitemap,
    SourceKind.HTML: read_html,
    SourceKind.JSON: read_json,
    SourceKind.FILEDROP: read_filedrop,
}


def _reader_items(source: Source, fetcher: Fetcher, state_dir: Path) -> Iterator[ReaderItem]:
    reader = READERS[source.kind]
    try:
        yield from reader(source, fetcher, state_dir)
    except FetchError as exc:
        yield error_outcome(source, exc)
    except OSError as exc:
        yield error_outcome(
            source, SourceReadError(source.url or str(source.path), f"I/O error: {exc}")
        )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _run_pending(
    items: Iterable[ReaderItem],
    fetcher: Fetcher,
    state_dir: Path,
    pool: FetchPool,
    deadline: float,
) -> Iterator[ReadOutcome]:
    """Outcomes in the reader's order, the pending pages fetched in the pool's host lanes."""
    collected = list(items)
    pending = [item for item in collected if isinstance(item, PendingFetch)]
    tasks = [
        PoolTask(_host(item.url), lambda item=item: item.run(fetcher, state_dir))  # type: ignore[misc]
        for item in pending
    ]

    def defer(index: int, reason: str) -> ReadOutcome:
        return deferred_outcome(pending[index].source, pending[index].url, reason)

    fetched = pool.run_ordered(tasks, deadline=deadline, on_defer=defer)
    for item in collected:
        yield next(fetched) if isinstance(item, PendingFetch) else item


def read_source(
    source: Source, fetcher: Fetcher, state_dir: Path, *, pool: FetchPool | None = None
) -> Iterator[ReadOutcome]:
    """One pass over a source: an outcome per item (document, unchanged, deferred or error).

    Bodies are written under ``state_dir``; the fetcher must be open. A failing item yields an
    outcome with ``error`` set and the pass goes on; only errors that are not ours escape.
    With ``pool`` (the pass's :class:`FetchPool`, default ``fetcher.pool``) the pages a reader
    finds are fetched concurrently, host by host, within the source's and the pass's time
    budget; what is left when a budget runs out comes back as deferred outcomes. Without one
    they are fetched one after another. Either way outcomes come in the reader's order.
    """
    pool = pool or fetcher.pool
    if pool is None:
        for item in _reader_items(source, fetcher, state_dir):
            yield item.run(fetcher, state_dir) if isinstance(item, PendingFetch) else item
        return
    deadline = pool.source_deadline()
    target = source.url or str(source.path)
    reason = pool.skip_reason(_host(target), deadline) if source.url else None
    if reason is not None:
        yield deferred_outcome(source, target, reason)
        return
    yield from _run_pending(
        _reader_items(source, fetcher, state_dir), fetcher, state_dir, pool, deadline
    )


__all__ = ["READERS", "ReadOutcome", "read_source"]
