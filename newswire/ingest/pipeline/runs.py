"""Run bookkeeping of the ingest pass: run ids, per-run files, pruning, the seen-article index."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newswire.errors import NewswireError
from newswire.ingest.settings import IngestSettings
from schemas.articles import NormalizedArticle

if TYPE_CHECKING:
    from newswire.ingest.dedup import SeenIndex


log = logging.getLogger(__name__)

SEEN_INDEX_FILE = "seen-articles.sqlite3"
MAX_BODY_BYTES = 50_000_000
_UNSAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


class IngestError(NewswireError):
    """A whole ingest task failed (not just one item of it)."""


def safe_run_key(run_id: str) -> str:
    """A run id (Airflow's contain ``:`` and ``+``) as a file-system-safe folder name."""
    key = _UNSAFE_NAME_RE.sub("_", run_id).strip("._")
    if not key:
        raise IngestError(f"run id {run_id!r} has no usable characters")
    return key[:200]


def new_run_id(now: datetime | None = None) -> str:
    """A run id for a pass started outside Airflow."""
    return "manual__" + (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True, slots=True)
class RunFiles:
    """Where one run keeps its hand-off files."""

    state_dir: Path
    run_id: str

    @property
    def run_dir(self) -> Path:
        """The folder of this run."""
        return self.state_dir / "runs" / safe_run_key(self.run_id)

    def fetched(self, source_id: str) -> Path:
        """FetchedDocument references of one source."""
        return self.run_dir / "fetched" / f"{source_id}.jsonl"

    def accepted(self, source_id: str) -> Path:
        """NormalizedArticles of one source accepted by de-duplication."""
        return self.run_dir / "accepted" / f"{source_id}.jsonl"

    def held_marks(self, source_id: str) -> Path:
        """Fetch-state writes of one source held back until its documents are recorded."""
        return self.run_dir / "marks" / f"{source_id}.json"

    def published(self, source_id: str) -> Path:
        """The articles with new text that one source's publish task delivered."""
        return self.run_dir / "published" / f"{source_id}.jsonl"


def prune_runs(settings: IngestSettings, *, keep_run: str | None = None) -> list[Path]:
    """Delete the hand-off folders of all but the ``keep_runs`` most recent runs.

    ``keep_run`` (the run starting now) is never deleted. Returns the deleted folders.
    """
    runs_root = settings.state_dir / "runs"
    if not runs_root.is_dir():
        return []
    keep_key = safe_run_key(keep_run) if keep_run else None
    folders = sorted(
        (path for path in runs_root.iterdir() if path.is_dir() and path.name != keep_key),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    stale = folders[settings.keep_runs :]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=False)
        log.info("pruned old run files %s", folder)
    return stale


def seen_index_path(settings: IngestSettings) -> Path:
    """The sqlite file of the seen-article index."""
    return settings.state_dir / SEEN_INDEX_FILE


def open_seen_index(settings: IngestSettings) -> SeenIndex:
    """An (unopened) seen-article index configured by the settings."""
    from newswire.ingest.dedup import SeenIndex

    return SeenIndex(
        seen_index_path(settings),
        threshold=settings.near_duplicate_threshold,
        num_perm=settings.num_perm,
        seed=settings.minhash_seed,
        timeout_s=settings.sqlite_timeout_seconds,
    )


def read_articles(paths: Sequence[str | Path]) -> Iterator[NormalizedArticle]:
    """The NormalizedArticles of accepted-article files (a missing file is an error)."""
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise IngestError(f"cannot read accepted articles {path}: {exc}") from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield NormalizedArticle.model_validate_json(line)
            except ValueError as exc:
                raise IngestError(f"{path}:{number}: not a NormalizedArticle: {exc}") from exc
