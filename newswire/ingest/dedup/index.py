"""The seen-article index: layered de-duplication that survives restarts and parallel tasks.

Layers, in order: the same article id (derived from the canonical URL) is the same article, and
a changed text makes a new ``version`` of it; the same content hash under another id is a
duplicate; a MinHash LSH match over word shingles (syndicated wire copy with another headline or
a trimmed tail) is a near duplicate. A duplicate is not emitted: it increments ``source_count``
of the copy that was kept.

State is one sqlite file. Every decision runs in a ``BEGIN IMMEDIATE`` transaction, so Airflow
tasks running in parallel processes serialize on it; before deciding, a process pulls the
signatures other processes stored since its last look into its in-memory LSH, which is rebuilt
from the stored signatures when the index is opened.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from array import array
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from datasketch import MinHash, MinHashLSH

from newswire.errors import NewswireError
from newswire.ingest.normalize.fingerprint import MINHASH_SCHEME, minhash_from_signature
from newswire.lifecycle import Resource
from schemas.articles import NormalizedArticle

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    canonical_url TEXT,
    source_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    signature BLOB NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    source_count INTEGER NOT NULL,
    recorded_run TEXT NOT NULL,
    published_version INTEGER NOT NULL DEFAULT 0,
    change_seq INTEGER NOT NULL,
    record BLOB,
    published_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS articles_content_hash ON articles (content_hash);
CREATE INDEX IF NOT EXISTS articles_change_seq ON articles (change_seq);

CREATE TABLE IF NOT EXISTS duplicates (
    id TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    similarity REAL,
    source_id TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS duplicates_kept_id ON duplicates (kept_id);
"""
# Columns added after the first release, added in place to an index created before them.
_ADDED_COLUMNS = {
    "record": "ALTER TABLE articles ADD COLUMN record BLOB",
    "published_count": (
        "ALTER TABLE articles ADD COLUMN published_count INTEGER NOT NULL DEFAULT 0"
    ),
}


class DedupError(NewswireError):
    """The seen-article index cannot be opened or used."""


class Verdict(StrEnum):
    """What the index decided about one article."""

    NEW = "new"
    NEW_VERSION = "new-version"
    UNPUBLISHED = "unpublished"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    NEAR_DUPLICATE = "near-duplicate"


_ACCEPTED = frozenset({Verdict.NEW, Verdict.NEW_VERSION, Verdict.UNPUBLISHED})


@dataclass(frozen=True, slots=True)
class DedupDecision:
    """The verdict on one article and, when accepted, the record to emit."""

    verdict: Verdict
    article_id: str
    article: NormalizedArticle | None = None
    kept_id: str | None = None
    similarity: float | None = None

    @property
    def accepted(self) -> bool:
        """Whether the article goes downstream (new, a new version, or not yet published)."""
        return self.verdict in _ACCEPTED


def _pack(signature: tuple[int, ...]) -> bytes:
    """Hash values as unsigned 64-bit ints: compact, and fast to load when the LSH is rebuilt."""
    return array("Q", signature).tobytes()


def _unpack(blob: bytes) -> list[int]:
    values = array("Q")
    values.frombytes(blob)
    return values.tolist()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _create_or_upgrade(conn: sqlite3.Connection) -> None:
    table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'articles'"
    ).fetchone()
    if table is not None:
        present = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
        for column, statement in _ADDED_COLUMNS.items():
            if column not in present:
                conn.execute(statement)
    conn.executescript(_SCHEMA)


def _pack_record(article: NormalizedArticle) -> bytes:
    """The emitted record, compressed: what a later source-count update re-publishes."""
    return zlib.compress(article.model_dump_json().encode("utf-8"), 6)


def _unpack_record(blob: bytes) -> NormalizedArticle:
    return NormalizedArticle.model_validate_json(zlib.decompress(blob))


class SeenIndex(Resource):
    """The persistent index of accepted articles (use as a context manager).

    ``threshold`` is the Jaccard similarity above which two texts are near duplicates;
    ``num_perm`` and ``seed`` must match the signatures' (they are stored and checked).
    """

    def __init__(
        self,
        path: Path,
        *,
        threshold: float = 0.6,
        num_perm: int = 128,
        seed: int = 1,
        timeout_s: float = 60.0,
    ) -> None:
        self._path = path
        self._threshold = threshold
        self._num_perm = num_perm
        self._seed = seed
        self._timeout_s = timeout_s
        self._conn: sqlite3.Connection | None = None
        self._lsh: MinHashLSH | None = None
        self._lsh_keys: set[str] = set()
        self._synced_seq = 0

    @property
    def path(self) -> Path:
        """The sqlite file."""
        return self._path

    def open(self) -> None:
        """Open (or create) the index and rebuild the LSH from the stored signatures."""
        if self._conn is not None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=self._timeout_s, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            _create_or_upgrade(conn)
        except sqlite3.Error as exc:
            raise DedupError(f"cannot open the seen-article index {self._path}: {exc}") from exc
        self._conn = conn
        try:
            with self._transaction() as cur:
                self._check_settings(cur)
            self._lsh = MinHashLSH(threshold=self._threshold, num_perm=self._num_perm)
            self._lsh_keys = set()
            self._synced_seq = 0
            self._sync_lsh()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the database connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._lsh = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        if self._conn is None:
            raise DedupError("the seen-article index is not open")
        cur = self._conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise DedupError(f"cannot lock the seen-article index {self._path}: {exc}") from exc
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def _check_settings(self, cur: sqlite3.Cursor) -> None:
        wanted = {
            "num_perm": str(self._num_perm),
            "seed": str(self._seed),
            "minhash_scheme": MINHASH_SCHEME,
        }
        stored = dict(cur.execute("SELECT key, value FROM settings").fetchall())
        for key, value in wanted.items():
            if key not in stored:
                cur.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (key, value))
            elif stored[key] != value:
                raise DedupError(
                    f"{self._path}: signatures were stored with {key}={stored[key]}, but the "
                    f"settings ask for {key}={value}; use another state dir or the same setting"
                )

    def _sync_lsh(self) -> None:
        """Pull signatures stored (by any process) since the last sync into the LSH."""
        assert self._conn is not None and self._lsh is not None
        rows = self._conn.execute(
            "SELECT id, signature, change_seq FROM articles WHERE change_seq > ? "
            "ORDER BY change_seq",
            (self._synced_seq,),
        ).fetchall()
        for article_id, signature_blob, change_seq in rows:
            signature = _unpack(signature_blob)
            if article_id in self._lsh_keys:
                self._lsh.remove(article_id)
                self._lsh_keys.discard(article_id)
            if len(signature) == self._num_perm:
                self._lsh.insert(article_id, minhash_from_signature(signature, seed=self._seed))
                self._lsh_keys.add(article_id)
            self._synced_seq = max(self._synced_seq, int(change_seq))

    def _next_seq(self, cur: sqlite3.Cursor) -> int:
        row = cur.execute("SELECT COALESCE(MAX(change_seq), 0) + 1 FROM articles").fetchone()
        return int(row[0])

    def check_and_record(
        self, article: NormalizedArticle, *, run_id: str, now: datetime | None = None
    ) -> DedupDecision:
        """Decide whether an article is new, a new version, or a duplicate, and record it.

        The emitted record carries ``version``, ``first_seen_at`` and the current
        ``source_count``. ``run_id`` names the pass: an article recorded by an earlier pass but
        never marked published is emitted again (so a crash between recording and publishing
        loses nothing), while a second sighting within the same pass is not.
        """
        if len(article.near_duplicate_signature) != self._num_perm:
            raise DedupError(
                f"article {article.id}: signature has {len(article.near_duplicate_signature)} "
                f"values, the index uses num_perm={self._num_perm}"
            )
        moment = _iso(now or datetime.now(UTC))
        with self._transaction() as cur:
            self._sync_lsh()
            row = cur.execute(
                "SELECT content_hash, version, first_seen_at, source_count, recorded_run, "
                "published_version, record IS NULL FROM articles WHERE id = ?",
                (article.id,),
            ).fetchone()
            if row is not None:
                return self._same_id(cur, article, row, run_id=run_id, moment=moment)
            duplicate = self._known_duplicate(cur, article)
            if duplicate is not None:
                return duplicate
            kept = cur.execute(
                "SELECT id FROM articles WHERE content_hash = ? ORDER BY first_seen_at LIMIT 1",
                (article.content_hash,),
            ).fetchone()
            if kept is not None:
                return self._record_duplicate(
                    cur, article, kept[0], Verdict.DUPLICATE, 1.0, moment=moment
                )
            near = self._nearest(article)
            if near is not None:
                kept_id, similarity = near
                return self._record_duplicate(
                    cur, article, kept_id, Verdict.NEAR_DUPLICATE, similarity, moment=moment
                )
            emitted = article.model_copy(
                update={
                    "version": 1,
                    "first_seen_at": datetime.fromisoformat(moment),
                    "source_count": 1,
                }
            )
            cur.execute(
                "INSERT INTO articles (id, canonical_url, source_id, content_hash, version, "
                "signature, first_seen_at, last_seen_at, source_count, recorded_run, "
                "published_version, change_seq, record) "
                "VALUES (?, ?, ?, ?, 1, ?, ?, ?, 1, ?, 0, ?, ?)",
                (
                    article.id,
                    article.canonical_url,
                    article.source_id,
                    article.content_hash,
                    _pack(article.near_duplicate_signature),
                    moment,
                    moment,
                    run_id,
                    self._next_seq(cur),
                    _pack_record(emitted),
                ),
            )
            return DedupDecision(Verdict.NEW, article.id, article=emitted)

    def _same_id(
        self,
        cur: sqlite3.Cursor,
        article: NormalizedArticle,
        row: tuple[str, int, str, int, str, int, int],
        *,
        run_id: str,
        moment: str,
    ) -> DedupDecision:
        stored_hash, version, first_seen_at, source_count, recorded_run, published_version = row[:6]
        update = {
            "first_seen_at": datetime.fromisoformat(first_seen_at),
            "source_count": source_count,
        }
        if stored_hash == article.content_hash:
            cur.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", (moment, article.id))
            if row[6]:
                # An index written before records were kept: keep this sighting's record.
                same = article.model_copy(update={**update, "version": version})
                cur.execute(
                    "UPDATE articles SET record = ? WHERE id = ?", (_pack_record(same), article.id)
                )
            if published_version < version and recorded_run != run_id:
                emitted = article.model_copy(update={**update, "version": version})
                cur.execute(
                    "UPDATE articles SET recorded_run = ?, record = ? WHERE id = ?",
                    (run_id, _pack_record(emitted), article.id),
                )
                return DedupDecision(Verdict.UNPUBLISHED, article.id, article=emitted)
            return DedupDecision(Verdict.UNCHANGED, article.id, kept_id=article.id)
        new_version = version + 1
        emitted = article.model_copy(update={**update, "version": new_version})
        cur.execute(
            "UPDATE articles SET content_hash = ?, version = ?, signature = ?, last_seen_at = ?, "
            "recorded_run = ?, change_seq = ?, record = ? WHERE id = ?",
            (
                article.content_hash,
                new_version,
                _pack(article.near_duplicate_signature),
                moment,
                run_id,
                self._next_seq(cur),
                _pack_record(emitted),
                article.id,
            ),
        )
        return DedupDecision(Verdict.NEW_VERSION, article.id, article=emitted)

    def _known_duplicate(
        self, cur: sqlite3.Cursor, article: NormalizedArticle
    ) -> DedupDecision | None:
        row = cur.execute(
            "SELECT kept_id, reason, content_hash, similarity FROM duplicates WHERE id = ?",
            (article.id,),
        ).fetchone()
        if row is None or row[2] != article.content_hash:
            return None
        kept_id, reason, _, similarity = row
        return DedupDecision(Verdict(reason), article.id, kept_id=kept_id, similarity=similarity)

    def _nearest(self, article: NormalizedArticle) -> tuple[str, float] | None:
        assert self._lsh is not None
        minhash = minhash_from_signature(article.near_duplicate_signature, seed=self._seed)
        best: tuple[str, float] | None = None
        for candidate in self._lsh.query(minhash):
            if candidate == article.id:
                continue
            stored = self._signature_of(str(candidate))
            if stored is None:
                continue
            similarity = float(minhash.jaccard(stored))
            if similarity >= self._threshold and (best is None or similarity > best[1]):
                best = (str(candidate), similarity)
        return best

    def _signature_of(self, article_id: str) -> MinHash | None:
        assert self._conn is not None
        row = self._conn.execute(
            "SELECT signature FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None:
            return None
        return minhash_from_signature(_unpack(row[0]), seed=self._seed)

    def _record_duplicate(
        self,
        cur: sqlite3.Cursor,
        article: NormalizedArticle,
        kept_id: str,
        verdict: Verdict,
        similarity: float,
        *,
        moment: str,
    ) -> DedupDecision:
        previous = cur.execute(
            "SELECT kept_id FROM duplicates WHERE id = ?", (article.id,)
        ).fetchone()
        cur.execute(
            "INSERT INTO duplicates (id, kept_id, reason, content_hash, similarity, source_id, "
            "seen_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "kept_id = excluded.kept_id, reason = excluded.reason, "
            "content_hash = excluded.content_hash, similarity = excluded.similarity, "
            "seen_at = excluded.seen_at",
            (
                article.id,
                kept_id,
                verdict.value,
                article.content_hash,
                similarity,
                article.source_id,
                moment,
            ),
        )
        if previous is None:
            # Only the first sighting of this copy counts as one more source of the story.
            cur.execute(
                "UPDATE articles SET source_count = source_count + 1 WHERE id = ?", (kept_id,)
            )
        log.info(
            "%s %s (%s) duplicates %s (similarity %.2f)",
            verdict.value,
            article.id,
            article.url or article.source_id,
            kept_id,
            similarity,
        )
        return DedupDecision(verdict, article.id, kept_id=kept_id, similarity=similarity)

    def mark_published(self, articles: Iterable[NormalizedArticle]) -> None:
        """Record that these articles (their version and source count) are durable downstream."""
        rows = [(a.version, a.source_count, a.id) for a in articles]
        if not rows:
            return
        with self._transaction() as cur:
            cur.executemany(
                "UPDATE articles SET published_version = MAX(published_version, ?), "
                "published_count = MAX(published_count, ?) WHERE id = ?",
                rows,
            )

    def unpublished(self, source_ids: Iterable[str]) -> list[NormalizedArticle]:
        """Recorded articles of these sources whose current version was never delivered.

        A pass that recorded articles but failed before delivering them leaves them here; the
        next delivery of the same sources sends them, whether or not they are fetched again.
        """
        return self._records(
            "SELECT record, source_count FROM articles WHERE published_version < version "
            "AND record IS NOT NULL AND source_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY id",
            source_ids,
        )

    def _records(self, query: str, source_ids: Iterable[str]) -> list[NormalizedArticle]:
        """Stored records (with their current source count) selected by source id."""
        ids = sorted(set(source_ids))
        if not ids:
            return []
        if self._conn is None:
            raise DedupError("the seen-article index is not open")
        rows = self._conn.execute(query, (json.dumps(ids),)).fetchall()
        records: list[NormalizedArticle] = []
        for blob, source_count in rows:
            try:
                record = _unpack_record(blob)
            except (zlib.error, ValueError) as exc:
                raise DedupError(
                    f"{self._path}: a stored article record is unreadable: {exc}"
                ) from exc
            records.append(record.model_copy(update={"source_count": int(source_count)}))
        return records

    def count_updates(self, source_ids: Iterable[str]) -> list[NormalizedArticle]:
        """Published articles whose story more sources carried since, as records to re-publish.

        Only articles that a copy from one of ``source_ids`` duplicated are returned, so each
        publish task re-sends the updates its own sources caused (a later copy of a story kept
        in an earlier run raises the kept article's ``source_count``, and downstream stores
        should see it). Each record is the published one, same ``version``, with the current
        count. Articles recorded before records were kept cannot be re-sent and are skipped.
        """
        return self._records(
            "SELECT a.record, a.source_count FROM articles a "
            "WHERE a.published_version = a.version AND a.published_count < a.source_count "
            "AND a.record IS NOT NULL AND EXISTS (SELECT 1 FROM duplicates d "
            "WHERE d.kept_id = a.id AND d.source_id IN (SELECT value FROM json_each(?))) "
            "ORDER BY a.id",
            source_ids,
        )

    def source_counts(self, article_ids: Iterable[str]) -> dict[str, int]:
        """The current ``source_count`` of each known article id."""
        assert self._conn is not None
        counts: dict[str, int] = {}
        for article_id in article_ids:
            row = self._conn.execute(
                "SELECT source_count FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
            if row is not None:
                counts[article_id] = int(row[0])
        return counts

    def article_count(self) -> int:
        """How many distinct articles the index holds."""
        if self._conn is None:
            raise DedupError("the seen-article index is not open")
        return int(self._conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
