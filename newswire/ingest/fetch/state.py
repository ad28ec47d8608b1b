"""Durable fetch state in the state directory: HTTP validators per URL and robots.txt per host.

One sqlite file (WAL mode) shared by every process and task of the ingest pass. The writes that
make a later pass skip a resource (validators, a dropped file marked read) can be held back as
:class:`StateMark` records and applied only once what was fetched is safely processed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from newswire.errors import NewswireError
from newswire.retry import backoff_delay

_OPEN_LOCK = threading.Lock()
_SCHEMA = """
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    body_sha256 TEXT,
    stored_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS robots (
    origin TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS memos (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_files (
    source_id TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (source_id, path)
);
"""


class FetchStateError(NewswireError):
    """The fetch state database cannot be opened or written."""


@dataclass(frozen=True, slots=True)
class Validators:
    """What a server told us to send back for a conditional GET of one URL."""

    etag: str | None
    last_modified: str | None
    body_sha256: str | None = None


class StateMark(BaseModel):
    """A held-back write that tells later passes a resource needs no fetching again.

    ``validators``: the ETag / Last-Modified of ``key`` (a URL); both empty forgets them.
    ``file``: the dropped file ``key`` of ``source_id`` was read with content ``sha256``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    kind: Literal["validators", "file"]
    key: str
    source_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None

    @classmethod
    def for_validators(cls, url: str, validators: Validators) -> StateMark:
        """The mark that stores ``validators`` for ``url``."""
        return cls(
            kind="validators",
            key=url,
            etag=validators.etag,
            last_modified=validators.last_modified,
            sha256=validators.body_sha256,
        )

    @classmethod
    def for_file(cls, source_id: str, path: str, sha256: str) -> StateMark:
        """The mark that records a dropped file as read with this content."""
        return cls(kind="file", key=path, source_id=source_id, sha256=sha256)


class HeldMarks(BaseModel):
    """The marks one source's fetch held back, handed from the fetch task to the normalize task.

    ``complete`` is false when an item failed for a reason that may pass (a timeout, a 503):
    then the resources that led to the items (the feed, the listing) must be read again.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    source_id: str
    complete: bool
    marks: tuple[StateMark, ...] = ()


class FetchState:
    """The sqlite-backed store; open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, path: Path, *, timeout_seconds: float = 60.0) -> None:
        self.path = path
        self._timeout = timeout_seconds
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        """Create the file and tables if needed and connect.

        Sources of a pass open the same file at once (threads, and the DAG's task processes):
        opening is serialized within the process, and switching to WAL, which does not wait
        for a busy database, is retried with backoff up to the timeout.
        """
        deadline = time.monotonic() + self._timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                with _OPEN_LOCK:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    conn = sqlite3.connect(
                        self.path, timeout=self._timeout, check_same_thread=False
                    )
                    try:
                        conn.execute("PRAGMA journal_mode=WAL")
                        conn.executescript(_SCHEMA)
                        conn.commit()
                    except BaseException:
                        conn.close()
                        raise
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise FetchStateError(f"cannot open fetch state {self.path}: {exc}") from exc
                time.sleep(backoff_delay(attempt, initial=0.02, maximum=0.5))
            except (OSError, sqlite3.Error) as exc:
                raise FetchStateError(f"cannot open fetch state {self.path}: {exc}") from exc
        self._conn = conn

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise FetchStateError(f"fetch state {self.path} is not open")
        return self._conn

    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        with self._lock:
            try:
                conn = self._db()
                conn.execute(sql, params)
                conn.commit()
            except sqlite3.Error as exc:
                raise FetchStateError(f"cannot write fetch state {self.path}: {exc}") from exc

    def _read(self, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
        with self._lock:
            try:
                row = self._db().execute(sql, params).fetchone()
            except sqlite3.Error as exc:
                raise FetchStateError(f"cannot read fetch state {self.path}: {exc}") from exc
        return None if row is None else tuple(row)

    def _read_text(self, sql: str, params: tuple[object, ...]) -> str | None:
        """The first column of the first row as text, or None when there is no row."""
        row = self._read(sql, params)
        return None if row is None else str(row[0])

    def validators(self, url: str) -> Validators | None:
        """The stored validators of ``url``, if any."""
        row = self._read(
            "SELECT etag, last_modified, body_sha256 FROM validators WHERE url = ?", (url,)
        )
        if row is None:
            return None
        etag, last_modified, sha = row
        return Validators(
            etag=etag if isinstance(etag, str) else None,
            last_modified=last_modified if isinstance(last_modified, str) else None,
            body_sha256=sha if isinstance(sha, str) else None,
        )

    def store_validators(self, url: str, validators: Validators, now: float) -> None:
        """Remember (or forget, when both are empty) the validators of ``url``."""
        if validators.etag is None and validators.last_modified is None:
            self._write("DELETE FROM validators WHERE url = ?", (url,))
            return
        self._write(
            "INSERT INTO validators (url, etag, last_modified, body_sha256, stored_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
            "last_modified = excluded.last_modified, body_sha256 = excluded.body_sha256, "
            "stored_at = excluded.stored_at",
            (url, validators.etag, validators.last_modified, validators.body_sha256, now),
        )

    def robots_policy(self, origin: str, now: float) -> str | None:
        """The cached, unexpired robots policy text of an origin."""
        return self._read_text(
            "SELECT policy FROM robots WHERE origin = ? AND expires_at > ?", (origin, now)
        )

    def store_robots_policy(self, origin: str, policy: str, expires_at: float) -> None:
        """Cache the robots policy text of an origin until ``expires_at``."""
        self._write(
            "INSERT INTO robots (origin, policy, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT(origin) DO UPDATE SET policy = excluded.policy, "
            "expires_at = excluded.expires_at",
            (origin, policy, expires_at),
        )

    def seen_file_sha(self, source_id: str, path: str) -> str | None:
        """The sha256 a dropped file had when it was last read."""
        return self._read_text(
            "SELECT sha256 FROM seen_files WHERE source_id = ? AND path = ?", (source_id, path)
        )

    def mark_file_seen(self, source_id: str, path: str, sha256: str) -> None:
        """Remember that a dropped file was read with this content."""
        self._write(
            "INSERT INTO seen_files (source_id, path, sha256) VALUES (?, ?, ?) "
            "ON CONFLICT(source_id, path) DO UPDATE SET sha256 = excluded.sha256",
            (source_id, path, sha256),
        )

    def memo(self, key: str) -> str | None:
        """A small remembered value (e.g. the child list of a sitemap index), if any."""
        return self._read_text("SELECT value FROM memos WHERE key = ?", (key,))

    def store_memo(self, key: str, value: str) -> None:
        """Remember a small value under ``key``."""
        self._write(
            "INSERT INTO memos (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def apply(self, mark: StateMark, now: float) -> None:
        """Carry out a held-back write."""
        if mark.kind == "validators":
            self.store_validators(
                mark.key, Validators(mark.etag, mark.last_modified, mark.sha256), now
            )
        else:
            if mark.source_id is None or mark.sha256 is None:
                raise FetchStateError(f"file mark of {mark.key} lacks its source or hash")
            self.mark_file_seen(mark.source_id, mark.key, mark.sha256)
