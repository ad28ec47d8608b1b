"""Filedrop sources: a folder of ``.txt``, ``.html``, ``.htm`` and ``.json`` files.

A file already read with the same sha256 is skipped (reported as unchanged); a changed file is
read again. The body is copied into the state dir under its original name, so the normalize
step sees the name and suffix (plain-text files may start with a date line or a title line).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from newswire.ingest.fetch.charset import binary_reason, detect_charset
from newswire.ingest.fetch.errors import BinaryBodyError, BodyTooLargeError, SourceReadError
from newswire.ingest.fetch.fetcher import Fetcher
from newswire.ingest.readers.common import (
    ReadOutcome,
    document_from_bytes,
    document_outcome,
    error_outcome,
    unchanged_outcome,
)
from newswire.ingest.sources import Source
from schemas.articles import PublishedAtSource
from schemas.documents import DocumentHints

FILEDROP_SUFFIXES = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
}


def dropped_files(folder: Path) -> list[Path]:
    """The readable files of a drop folder, sorted by name (hidden files and others ignored)."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and path.suffix.lower() in FILEDROP_SUFFIXES
    )


def read_filedrop(source: Source, fetcher: Fetcher, state_dir: Path) -> Iterator[ReadOutcome]:
    """Outcomes of one pass over a filedrop folder."""
    assert source.path is not None
    folder = source.path
    if not folder.is_dir():
        yield error_outcome(
            source,
            SourceReadError(str(folder), "filedrop folder does not exist or is not a folder"),
        )
        return
    try:
        files = dropped_files(folder)
    except OSError as exc:
        yield error_outcome(source, SourceReadError(str(folder), f"cannot list the folder: {exc}"))
        return
    cap = fetcher.settings.max_body_bytes
    produced = 0
    for path in files:
        if produced >= source.max_items:
            break
        target = str(path)
        try:
            if path.stat().st_size > cap:
                raise BodyTooLargeError(target, f"file larger than the {cap}-byte cap")
            body = path.read_bytes()
        except OSError as exc:
            yield error_outcome(source, SourceReadError(target, f"cannot read the file: {exc}"))
            continue
        except BodyTooLargeError as exc:
            yield error_outcome(source, exc)
            continue
        sha = hashlib.sha256(body).hexdigest()
        if fetcher.state.seen_file_sha(source.id, target) == sha:
            yield unchanged_outcome(source, target)
            continue
        content_type = FILEDROP_SUFFIXES[path.suffix.lower()]
        reason = binary_reason(body, content_type)
        if reason is not None:
            yield error_outcome(source, BinaryBodyError(target, reason))
            continue
        document = document_from_bytes(
            source,
            body,
            url=None,
            content_type=content_type,
            hints=DocumentHints(published_at_source=PublishedAtSource.NONE),
            state_dir=state_dir,
            fetched_at=datetime.now(UTC),
            name=path.name,
            charset=detect_charset(body),
        )
        produced += 1
        yield document_outcome(source, target, document)
        # Marked only after the caller took the document, so an interrupted pass re-reads it.
        fetcher.remember_file_seen(source.id, target, sha)
