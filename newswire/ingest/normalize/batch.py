"""Normalizing many inputs on the machine's cores, results in input order.

Each input is normalized in a worker process (``ProcessPoolExecutor``); results come back in the
order of the inputs whichever worker finishes first, so outputs and ids are the same as with one
worker. One worker (or a single input) runs in the calling process, as before.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TypeVar

from newswire.errors import NewswireError
from newswire.ingest.normalize.article import (
    NormalizeOptions,
    normalize_document,
    normalize_path,
)
from newswire.ingest.normalize.errors import NormalizeError
from schemas.articles import NormalizedArticle
from schemas.documents import FetchedDocument

T = TypeVar("T")
R = TypeVar("R")
# Inputs handed to a worker at a time: amortizes the inter-process round trip over several
# pages (at most this many) while keeping the pool busy to the end of a batch (at least this
# many chunks per worker, so that the last chunk leaves the other workers idle only briefly).
_MAX_CHUNK_SIZE = 4
_MIN_CHUNKS_PER_WORKER = 8


def resolve_workers(workers: int) -> int:
    """The number of worker processes a setting asks for (``0``: one per core)."""
    if workers > 0:
        return workers
    return max(1, os.cpu_count() or 1)


def _context(*, allow_spawn: bool) -> BaseContext | None:
    # fork starts workers with the parent's modules (trafilatura, the language model) already
    # loaded; a process that runs threads gets fresh interpreters instead (spawn), or none.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn") if allow_spawn else None


def ordered_map(
    function: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int,
    min_items: int = 2,
    allow_spawn: bool = True,
) -> Iterator[R]:
    """``function`` applied to each item, in item order, on ``workers`` processes (0: cores).

    ``function`` and the items must be picklable; it should not raise (return errors as values).
    Fewer than ``min_items`` items, one worker, or (without ``allow_spawn``) a process that runs
    threads: the items are mapped in the calling process.
    """
    materialized = list(items)
    count = min(resolve_workers(workers), len(materialized))
    context = _context(allow_spawn=allow_spawn) if count > 1 else None
    if context is None or len(materialized) < min_items:
        yield from map(function, materialized)
        return
    chunk_size = max(1, min(_MAX_CHUNK_SIZE, len(materialized) // (count * _MIN_CHUNKS_PER_WORKER)))
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        yield from pool.map(function, materialized, chunksize=chunk_size)


@dataclass(frozen=True, slots=True)
class PathResult:
    """One normalized file: its JSON line, or why it could not be normalized."""

    path: Path
    line: str | None
    error: str | None


def _normalize_one(path: Path, *, source_id: str, options: NormalizeOptions) -> PathResult:
    try:
        article = normalize_path(path, source_id=source_id, options=options)
    except NormalizeError as exc:
        return PathResult(path, None, str(exc))
    return PathResult(path, article.model_dump_json(), None)


def normalize_paths(
    paths: Iterable[Path], *, source_id: str, options: NormalizeOptions, workers: int = 0
) -> Iterator[PathResult]:
    """Normalize local files on ``workers`` processes (0: one per core), results in input order.

    Each result holds the article as a JSON line (what ``newswire normalize`` writes) or the
    :class:`NormalizeError` message.
    """
    task = partial(_normalize_one, source_id=source_id, options=options)
    yield from ordered_map(task, paths, workers=workers)


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """One fetched document normalized: the article, or the error that stopped it."""

    article: NormalizedArticle | None
    error: NewswireError | OSError | None


def _normalize_fetched(
    document: FetchedDocument,
    *,
    options: NormalizeOptions,
    read_body: Callable[[FetchedDocument], bytes],
) -> DocumentResult:
    try:
        article = normalize_document(document, read_body(document), options)
    except (NewswireError, OSError) as exc:
        return DocumentResult(None, exc)
    return DocumentResult(article, None)


# A pass's source with fewer documents is normalized in the calling process: starting workers
# costs more than it saves.
MIN_DOCUMENTS_FOR_WORKERS = 16


def normalize_documents(
    documents: Sequence[FetchedDocument],
    *,
    options: NormalizeOptions,
    read_body: Callable[[FetchedDocument], bytes],
    workers: int = 0,
) -> Iterator[DocumentResult]:
    """Normalize fetched documents on ``workers`` processes (0: cores), results in input order.

    ``read_body`` (a module-level function, so that it pickles) reads a document's body; its
    :class:`~newswire.errors.NewswireError` or ``OSError`` becomes the result's error, as does a
    :class:`NormalizeError`. Small batches, and a process that runs threads (where forking is
    unsafe), stay in the calling process.
    """
    task = partial(_normalize_fetched, options=options, read_body=read_body)
    yield from ordered_map(
        task,
        documents,
        workers=workers,
        min_items=MIN_DOCUMENTS_FOR_WORKERS,
        allow_spawn=False,
    )
