"""Fetched-document hand-off files, as the fetch task writes them, for tests of later stages."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from newswire.fsutil import write_lines_atomically
from schemas.documents import FetchedDocument, SourceKind


def write_fetched(path: Path, source_id: str, files: Iterable[Path]) -> None:
    """Write ``path``: one filedrop :class:`FetchedDocument` of ``source_id`` per body file."""
    write_lines_atomically(
        path,
        [
            FetchedDocument(
                source_id=source_id,
                source_kind=SourceKind.FILEDROP,
                body_path=str(file),
                body_sha256=hashlib.sha256(file.read_bytes()).hexdigest(),
                fetched_at=datetime.now(UTC),
            ).model_dump_json()
            for file in files
        ],
    )
