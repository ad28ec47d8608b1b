"""Atomic file writes: a temporary file in the target's folder, then a rename."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO, cast


@contextmanager
def _replacing(path: Path, binary: bool, mode: int) -> Iterator[TextIO | BinaryIO]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temp = Path(temp_name)
    try:
        # mkstemp creates the file 0600, so a secret (mode 0o600) is never readable by others,
        # not even for a moment; 0o644 is what a plain write would give.
        os.fchmod(handle, mode)
        if binary:
            with os.fdopen(handle, "wb") as raw:
                yield cast(BinaryIO, raw)
        else:
            with os.fdopen(handle, "w", encoding="utf-8") as text:
                yield text
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_writer(path: Path, *, mode: int = 0o644) -> Iterator[TextIO]:
    """A UTF-8 text handle whose content replaces ``path`` when the block ends without an error.

    Readers see the old file or the whole new one, never a part; on an error the temporary file
    is removed and ``path`` is left as it was. Missing parent folders are created. The file gets
    ``mode`` (``0o600`` for secrets: it never has another mode, even while being written).
    """
    with _replacing(path, binary=False, mode=mode) as sink:
        yield cast(TextIO, sink)


def write_bytes_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically; the file gets ``mode``."""
    with _replacing(path, binary=True, mode=mode) as sink:
        cast(BinaryIO, sink).write(data)


def write_text_atomically(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically; the file gets ``mode``."""
    with atomic_writer(path, mode=mode) as sink:
        sink.write(text)


def write_lines_atomically(path: Path, lines: Iterable[str], *, mode: int = 0o644) -> int:
    """Replace ``path`` with ``lines`` (one per line) atomically; returns how many."""
    count = 0
    with atomic_writer(path, mode=mode) as sink:
        for line in lines:
            sink.write(line.rstrip("\n") + "\n")
            count += 1
    return count


@contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``directory/.lock`` (created with the folder if missing).

    Processes that share a run directory or a cache take turns through it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
