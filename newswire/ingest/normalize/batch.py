"""Normalizing many inputs on the machine's cores, results in input order.

Each input is normalized in a worker process (``ProcessPoolExecutor``); results come back in the
order of the inputs whichever worker finishes first, so outputs and ids are the same as with one
worker. One worker (or a single input) runs in the calling process, as before.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TypeVar

from newswire.ingest.normalize.article import NormalizeOptions, normalize_path
from newswire.ingest.normalize.errors import NormalizeError

T = TypeVar("T")
R = TypeVar("R")
# Inputs handed to a worker at a time: amortizes the inter-process round trip over several
# pages while keeping the pool busy to the end of a batch.
_CHUNK_SIZE = 4


def resolve_workers(workers: int) -> int:
    """The number of worker processes a setting asks for (``0``: one per core)."""
    if workers > 0:
        return workers
    return max(1, os.cpu_count() or 1)


def _context() -> BaseContext:
    # fork starts workers with the parent's modules (trafilatura, the language model) already
    # loaded; a process that runs threads gets fresh interpreters instead.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def ordered_map(function: Callable[[T], R], items: Iterable[T], *, workers: int) -> Iterator[R]:
    """``function`` applied to each item, in item order, on ``workers`` processes (0: cores).

    ``function`` and the items must be picklable; it should not raise (return errors as values).
    """
    materialized = list(items)
    count = min(resolve_workers(workers), len(materialized))
    if count <= 1:
        yield from map(function, materialized)
        return
    with ProcessPoolExecutor(max_workers=count, mp_context=_context()) as pool:
        yield from pool.map(function, materialized, chunksize=_CHUNK_SIZE)


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
