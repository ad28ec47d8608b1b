"""The fetch and normalize tasks of the ingest pass (one call per source, as the DAG runs them)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newswire.errors import NewswireError
from newswire.fsutil import write_lines_atomically
from newswire.ingest.pipeline.runs import (
    MAX_BODY_BYTES,
    IngestError,
    RunFiles,
    open_seen_index,
)
from newswire.ingest.settings import IngestSettings
from newswire.ingest.sources import Source, SourceCatalogue, load_catalogue
from newswire.logs import bound
from schemas.documents import FetchedDocument

if TYPE_CHECKING:
    from newswire.ingest.fetch.errors import FetchError
    from newswire.ingest.fetch.pool import FetchPool
    from newswire.ingest.fetch.state import StateMark
    from newswire.ingest.readers.common import ReadOutcome


log = logging.getLogger(__name__)

# --- the catalogue and fetching (the fetch side's API) ------------------------------------------


def load_sources(catalogue_path: Path) -> SourceCatalogue:
    """The validated source catalogue (raises ``CatalogueError`` naming file, source, field)."""
    return load_catalogue(catalogue_path)


def enabled_source_ids(catalogue_path: Path) -> list[str]:
    """Ids of the catalogue's enabled sources, in catalogue order (what the DAG maps over)."""
    return [source.id for source in load_sources(catalogue_path).enabled_sources]


def _find_source(catalogue_path: Path, source_id: str) -> Source:
    return load_sources(catalogue_path).get(source_id)


def _read_source_outcomes(
    source: Source, settings: IngestSettings, held: list[StateMark], pool: FetchPool
) -> Iterator[ReadOutcome]:
    """The fetch side's per-item outcomes (document, unchanged, deferred or error) of one source.

    Validators and read-file marks are not stored: once the source is read they are added to
    ``held``, for the normalize step to store when the documents are safely recorded. Pages are
    fetched in ``pool``, with its fetch settings.
    """
    from newswire.ingest.fetch.fetcher import Fetcher
    from newswire.ingest.readers import read_source

    with Fetcher(settings.state_dir, pool.settings, pool=pool) as fetcher:
        fetcher.hold_state_marks()
        yield from read_source(source, fetcher, settings.state_dir)
        held.extend(fetcher.take_state_marks())


def failure_reason(error: FetchError) -> str:
    """A short label for a failure, to count failures by reason (``HTTP 404``, ``deadline``...)."""
    from newswire.ingest.fetch.errors import HttpStatusError

    if isinstance(error, HttpStatusError):
        return f"HTTP {error.status}"
    name = type(error).__name__.removesuffix("Error")
    return {"DeadlineExceeded": "deadline", "FetchTimeout": "timeout"}.get(name, name)


# --- task functions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What fetching one source produced."""

    source_id: str
    path: str
    documents: int
    unchanged: int
    errors: int
    deferred: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # failures counted by reason


def fetch_source(
    source_id: str,
    catalogue_path: Path,
    *,
    run_id: str,
    settings: IngestSettings,
    pool: FetchPool,
) -> FetchOutcome:
    """Fetch one source and write its FetchedDocument references to a JSON lines file.

    Each failed item is logged and counted; the task itself only fails when the source cannot
    be read at all. Unchanged items (304, a dropped file already seen) produce no document.
    Deferred items (time budget spent, a host that keeps missing its deadline) are counted
    apart and, like passing failures, keep the listing that led to them unmarked, so the next
    pass finds them again. What tells the next pass to skip a resource (validators, read-file
    marks) is written to the run's held-marks file, not stored: :func:`normalize_source`
    stores it. ``pool`` is the pass's shared :class:`FetchPool` (a DAG task's own).
    """
    from newswire.ingest.fetch.state import HeldMarks

    source = _find_source(catalogue_path, source_id)
    files = RunFiles(settings.state_dir, run_id)
    unchanged = errors = transient = deferred = 0
    reasons: dict[str, int] = {}
    lines: list[str] = []
    held: list[StateMark] = []
    try:
        for outcome in _read_source_outcomes(source, settings, held, pool):
            if outcome.document is not None:
                lines.append(outcome.document.model_dump_json())
                log.info(
                    "source %s: fetched %s",
                    source_id,
                    outcome.document.url or outcome.document.body_path,
                    extra={"event": "document_fetched", "sha256": outcome.document.body_sha256},
                )
            elif outcome.deferred:
                deferred += 1
                transient += 1
                log.warning("source %s: %s: %s", source_id, outcome.target, outcome.error)
            elif outcome.error is not None:
                errors += 1
                transient += outcome.error.transient
                reason = failure_reason(outcome.error)
                reasons[reason] = reasons.get(reason, 0) + 1
                log.error("source %s: %s: skipped: %s", source_id, outcome.target, outcome.error)
            else:
                unchanged += 1
    except NewswireError as exc:
        raise IngestError(f"source {source_id}: fetching failed: {exc}") from exc
    marks = HeldMarks(source_id=source_id, complete=transient == 0, marks=tuple(held))
    write_lines_atomically(files.held_marks(source_id), [marks.model_dump_json()])
    path = files.fetched(source_id)
    write_lines_atomically(path, lines)
    log.info(
        "source %s: %d document(s) fetched, %d unchanged, %d error(s), %d deferred",
        source_id,
        len(lines),
        unchanged,
        errors,
        deferred,
    )
    return FetchOutcome(source_id, str(path), len(lines), unchanged, errors, deferred, reasons)


@dataclass(frozen=True, slots=True)
class NormalizeOutcome:
    """What normalizing and de-duplicating one source's documents produced."""

    source_id: str
    path: str
    accepted: int
    duplicates: int
    unchanged: int
    errors: int


def _read_body(document: FetchedDocument) -> bytes:
    path = Path(document.body_path)
    size = path.stat().st_size
    if size > MAX_BODY_BYTES:
        raise IngestError(f"body {path} is {size} bytes, over the {MAX_BODY_BYTES} cap")
    return path.read_bytes()


def normalize_source(
    fetched_path: str | Path, *, run_id: str, settings: IngestSettings
) -> NormalizeOutcome:
    """Normalize and de-duplicate one source's fetched documents.

    Writes the accepted articles (new ones, new versions, and ones recorded earlier but never
    published) to the run's accepted file of the source. A document that cannot be normalized
    is logged and skipped.
    """
    from newswire.ingest.dedup import DedupError, Verdict
    from newswire.ingest.normalize import NormalizeError, NormalizeOptions
    from newswire.ingest.normalize.batch import normalize_documents

    fetched = Path(fetched_path)
    source_id = fetched.stem
    options = NormalizeOptions.from_settings(settings)
    accepted: list[str] = []
    counts = {"duplicates": 0, "unchanged": 0, "errors": 0}
    recorded: list[FetchedDocument] = []
    failed: list[FetchedDocument] = []
    try:
        lines = fetched.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise IngestError(f"cannot read fetched documents {fetched}: {exc}") from exc
    # The documents up to the first unreadable line are normalized (on the settings' workers,
    # results in file order), then de-duplicated one by one in file order as before.
    documents: list[FetchedDocument] = []
    unreadable: IngestError | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            documents.append(FetchedDocument.model_validate_json(line))
        except ValueError as exc:
            unreadable = IngestError(f"{fetched}:{number}: not a FetchedDocument: {exc}")
            unreadable.__cause__ = exc
            break
    results = normalize_documents(
        documents, options=options, read_body=_read_body, workers=settings.normalize_workers
    )
    with open_seen_index(settings) as index:
        for document, result in zip(documents, results, strict=True):
            label = document.url or document.body_path
            try:
                if result.error is not None:
                    raise result.error
                if result.article is None:  # pragma: no cover - a result has one or the other
                    raise IngestError(f"{label}: normalizing gave neither an article nor an error")
                decision = index.check_and_record(result.article, run_id=run_id)
            except DedupError:
                raise
            except (NormalizeError, IngestError, OSError) as exc:
                counts["errors"] += 1
                failed.append(document)
                log.error("source %s: %s: cannot normalize: %s", source_id, label, exc)
                continue
            recorded.append(document)
            with bound(article_id=decision.article_id):
                if decision.accepted and decision.article is not None:
                    accepted.append(decision.article.model_dump_json())
                    log.info(
                        "source %s: %s %s: article %s",
                        source_id,
                        decision.verdict.value,
                        label,
                        decision.article_id,
                    )
                elif decision.verdict == Verdict.UNCHANGED:
                    counts["unchanged"] += 1
                else:
                    counts["duplicates"] += 1
                    log.info(
                        "source %s: %s %s: article %s, a copy of %s",
                        source_id,
                        decision.verdict.value,
                        label,
                        decision.article_id,
                        decision.kept_id,
                        extra={"kept_id": decision.kept_id},
                    )
        if unreadable is not None:
            raise unreadable
    files = RunFiles(settings.state_dir, run_id)
    path = files.accepted(source_id)
    write_lines_atomically(path, accepted)
    store_held_marks(
        files.held_marks(source_id), recorded=recorded, failed=failed, settings=settings
    )
    return NormalizeOutcome(
        source_id,
        str(path),
        len(accepted),
        counts["duplicates"],
        counts["unchanged"],
        counts["errors"],
    )


def store_held_marks(
    path: Path,
    *,
    recorded: Sequence[FetchedDocument],
    failed: Sequence[FetchedDocument],
    settings: IngestSettings,
) -> int:
    """Store the fetch-state writes that the fetch step held back; returns how many.

    A document's own mark (its page's validators, its dropped file) is stored only when the
    document was recorded in the seen-article index; a failed one is fetched again next pass.
    The other marks (the feed, sitemap, listing or API page that led to the documents) are
    stored only when every document was recorded and no item failed for a passing reason, so a
    pass that lost an item reads the listing again and finds it. No file, nothing to store.
    """
    from newswire.ingest.fetch.fetcher import STATE_FILE_NAME
    from newswire.ingest.fetch.state import FetchState, HeldMarks

    try:
        held = HeldMarks.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return 0
    except (OSError, ValueError) as exc:
        raise IngestError(f"cannot read held fetch-state marks {path}: {exc}") from exc
    ok_urls = {doc.url for doc in recorded if doc.url}
    ok_hashes = {doc.body_sha256 for doc in recorded}
    failed_urls = {doc.url for doc in failed if doc.url}
    failed_hashes = {doc.body_sha256 for doc in failed}
    listing_ok = held.complete and not failed

    def due(mark: StateMark) -> bool:
        if mark.kind == "file":
            return mark.sha256 not in failed_hashes and (mark.sha256 in ok_hashes or listing_ok)
        return mark.key not in failed_urls and (mark.key in ok_urls or listing_ok)

    chosen = [mark for mark in held.marks if due(mark)]
    state = FetchState(settings.state_dir / "fetch" / STATE_FILE_NAME)
    state.open()
    try:
        now = datetime.now(UTC).timestamp()
        for mark in chosen:
            state.apply(mark, now)
    finally:
        state.close()
    if len(chosen) < len(held.marks):
        log.info(
            "source %s: %d of %d fetch-state mark(s) held back: those resources are read "
            "again next pass",
            held.source_id,
            len(held.marks) - len(chosen),
            len(held.marks),
        )
    return len(chosen)
