"""Atomic writers: the whole new content or the old file, with the mode asked for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newswire.fsutil import (
    atomic_writer,
    write_bytes_atomically,
    write_lines_atomically,
    write_text_atomically,
)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_writers_give_0644_by_default_and_the_mode_asked_for(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        write_text_atomically(tmp_path / "plain.txt", "a")
        write_text_atomically(tmp_path / "secret.txt", "s3cret", mode=0o600)
        write_bytes_atomically(tmp_path / "secret.key", b"key", mode=0o600)
        write_lines_atomically(tmp_path / "lines.txt", ["x", "y"], mode=0o640)
    finally:
        os.umask(old_umask)
    assert _mode(tmp_path / "plain.txt") == 0o644
    assert _mode(tmp_path / "secret.txt") == 0o600
    assert _mode(tmp_path / "secret.key") == 0o600
    assert _mode(tmp_path / "lines.txt") == 0o640
    assert (tmp_path / "lines.txt").read_text() == "x\ny\n"


def test_a_readable_file_replaced_by_a_secret_is_never_readable_with_the_secret(
    tmp_path: Path,
) -> None:
    target = tmp_path / "stack.env"
    target.write_text("old")
    target.chmod(0o644)
    with atomic_writer(target, mode=0o600) as sink:
        sink.write("NEWSWIRE_ES_PASSWORD=s3cret\n")
        # While being written the secret sits in a private temporary file; the target is intact.
        (temp,) = (p for p in tmp_path.iterdir() if p.name.startswith(".stack.env."))
        assert _mode(temp) == 0o600
        assert target.read_text() == "old"
    assert _mode(target) == 0o600
    assert target.read_text() == "NEWSWIRE_ES_PASSWORD=s3cret\n"


def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "credentials.json"
    target.write_text("{}")
    with pytest.raises(RuntimeError), atomic_writer(target, mode=0o600) as sink:
        sink.write('{"half": ')
        raise RuntimeError("interrupted")
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["credentials.json"]
