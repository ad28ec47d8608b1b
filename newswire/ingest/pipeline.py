"""The ingest pass: fetch -> normalize + de-duplicate -> publish, as task functions.

The Airflow DAG (``dags/ingest_news.py``) calls these functions one per task and
``newswire ingest`` calls :func:`run_ingest_pass`, which chains the very same functions. Tasks hand
each other file paths (JSON lines under ``<state_dir>/runs/<run id>/``), never article bodies, and
every file name is derived from the run id and the source id, so a retried or re-run task rewrites
the same files. Re-running a data interval publishes nothing new: unchanged pages are not
re-downloaded (conditional GET), articles keep their ids, the seen-article index answers
"unchanged", and the Kafka producer is idempotent.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswire.errors import NewswireError
from newswire.fsutil import write_lines_atomically
from newswire.ingest.settings import IngestSettings
from newswire.ingest.sources import Source, SourceCatalogue, load_catalogue
from schemas.articles import NormalizedArticle
from schemas.documents import FetchedDocument

if TYPE_CHECKING:
    from newswire.ingest.dedup import SeenIndex
    from newswire.ingest.fetch.state import StateMark
    from newswire.ingest.readers.common import ReadOutcome
    from newswire.settings import KafkaSettings

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
    source: Source, settings: IngestSettings, held: list[StateMark]
) -> Iterator[ReadOutcome]:
    """The fetch side's per-item outcomes (document, unchanged, or error) of one source.

    Validators and read-file marks are not stored: once the source is read they are added to
    ``held``, for the normalize step to store when the documents are safely recorded.
    """
    from newswire.ingest.fetch.fetcher import Fetcher
    from newswire.ingest.readers import read_source

    with Fetcher(settings.state_dir) as fetcher:
        fetcher.hold_state_marks()
        yield from read_source(source, fetcher, settings.state_dir)
        held.extend(fetcher.take_state_marks())


# --- task functions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What fetching one source produced."""

    source_id: str
    path: str
    documents: int
    unchanged: int
    errors: int


def fetch_source(
    source_id: str, catalogue_path: Path, *, run_id: str, settings: IngestSettings
) -> FetchOutcome:
    """Fetch one source and write its FetchedDocument references to a JSON lines file.

    Each failed item is logged and counted; the task itself only fails when the source cannot
    be read at all. Unchanged items (304, a dropped file already seen) produce no document.
    What tells the next pass to skip a resource (validators, read-file marks) is written to the
    run's held-marks file, not stored: :func:`normalize_source` stores it.
    """
    from newswire.ingest.fetch.state import HeldMarks

    source = _find_source(catalogue_path, source_id)
    files = RunFiles(settings.state_dir, run_id)
    unchanged = errors = transient = 0
    lines: list[str] = []
    held: list[StateMark] = []
    try:
        for outcome in _read_source_outcomes(source, settings, held):
            if outcome.document is not None:
                lines.append(outcome.document.model_dump_json())
            elif outcome.error is not None:
                errors += 1
                transient += outcome.error.transient
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
        "source %s: %d document(s) fetched, %d unchanged, %d error(s)",
        source_id,
        len(lines),
        unchanged,
        errors,
    )
    return FetchOutcome(source_id, str(path), len(lines), unchanged, errors)


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
    from newswire.ingest.normalize import NormalizeError, NormalizeOptions, normalize_document

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
    with open_seen_index(settings) as index:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                document = FetchedDocument.model_validate_json(line)
            except ValueError as exc:
                raise IngestError(f"{fetched}:{number}: not a FetchedDocument: {exc}") from exc
            label = document.url or document.body_path
            try:
                article = normalize_document(document, _read_body(document), options)
                decision = index.check_and_record(article, run_id=run_id)
            except DedupError:
                raise
            except (NormalizeError, IngestError, OSError) as exc:
                counts["errors"] += 1
                failed.append(document)
                log.error("source %s: %s: cannot normalize: %s", source_id, label, exc)
                continue
            recorded.append(document)
            if decision.accepted and decision.article is not None:
                accepted.append(decision.article.model_dump_json())
                log.info("source %s: %s %s", source_id, decision.verdict.value, label)
            elif decision.verdict == Verdict.UNCHANGED:
                counts["unchanged"] += 1
            else:
                counts["duplicates"] += 1
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


def _with_current_counts(
    articles: list[NormalizedArticle], index: SeenIndex
) -> list[NormalizedArticle]:
    """The articles with ``source_count`` as the index knows it now (copies seen meanwhile)."""
    counts = index.source_counts(article.id for article in articles)
    return [
        article.model_copy(update={"source_count": counts[article.id]})
        if counts.get(article.id, article.source_count) != article.source_count
        else article
        for article in articles
    ]


def _unique_latest(articles: Iterable[NormalizedArticle]) -> list[NormalizedArticle]:
    latest: dict[str, NormalizedArticle] = {}
    for article in articles:
        known = latest.get(article.id)
        if known is None or article.version >= known.version:
            latest[article.id] = article
    return list(latest.values())


def _due_articles(
    index: SeenIndex, accepted_paths: Sequence[str | Path], *, count_updates: bool
) -> tuple[list[NormalizedArticle], list[NormalizedArticle]]:
    """What a delivery of these sources' accepted files must send: ``(all, with new text)``.

    Besides the accepted articles: those of the same sources recorded earlier but never
    delivered (a pass that failed in between), and, with ``count_updates``, published articles
    whose story more copies from these sources carried since (same version, new count).
    Accepted files are named by source id.
    """
    sources = [Path(path).stem for path in accepted_paths]
    updates = index.count_updates(sources) if count_updates else []
    texts = _unique_latest([*index.unpublished(sources), *read_articles(accepted_paths)])
    text_ids = {article.id for article in texts}
    # Records with new text come last, so they win over a count update of the same id.
    due = _with_current_counts(
        _unique_latest([*(a for a in updates if a.id not in text_ids), *texts]), index
    )
    return due, [article for article in due if article.id in text_ids]


def publish_articles(
    accepted_paths: Sequence[str | Path],
    *,
    settings: IngestSettings,
    kafka_settings: KafkaSettings | None = None,
    published_path: Path | None = None,
) -> int:
    """Publish accepted articles to ``news.articles.v1`` (keyed by id) and mark them published.

    Also sends what :func:`_due_articles` finds due for the same sources: articles recorded by
    an earlier pass that failed before publishing, and published articles re-sent with a higher
    ``source_count``. With ``published_path`` the articles sent with new text (not the count
    updates) are written there, for event extraction. Returns how many records were acknowledged.
    """
    from newswire.transport.kafka import RecordPublisher
    from schemas.topics import ARTICLES

    with open_seen_index(settings) as index:
        articles, with_text = _due_articles(index, accepted_paths, count_updates=True)
        sent = 0
        if articles:
            with RecordPublisher(kafka_settings) as publisher:
                sent = publisher.publish(
                    ARTICLES, articles, timeout_s=settings.kafka_publish_timeout_seconds
                )
            index.mark_published(articles)
    if published_path is not None:
        write_lines_atomically(published_path, (a.model_dump_json() for a in with_text))
    if len(articles) > len(with_text):
        log.info(
            "re-published %d article(s) carried by more sources since",
            len(articles) - len(with_text),
        )
    log.info("published %d article(s) to %s", sent, ARTICLES.name)
    return sent


def publish_source(accepted_path: str | Path, *, run_id: str, settings: IngestSettings) -> str:
    """The DAG's publish task for one source; returns the path of what it sent with new text."""
    published = RunFiles(settings.state_dir, run_id).published(Path(accepted_path).stem)
    publish_articles([accepted_path], settings=settings, published_path=published)
    return str(published)


def write_articles(
    accepted_paths: Sequence[str | Path], output: Path, *, settings: IngestSettings
) -> int:
    """Write due articles as JSON lines to ``output`` instead of Kafka; mark them delivered.

    Due as for :func:`publish_articles`, without the count updates.
    """
    with open_seen_index(settings) as index:
        articles, _ = _due_articles(index, accepted_paths, count_updates=False)
        written = write_lines_atomically(output, (a.model_dump_json() for a in articles))
        index.mark_published(articles)
    return written


def extract_and_publish_events(
    accepted_paths: Sequence[str | Path], *, kafka_settings: KafkaSettings | None = None
) -> int:
    """Run event extraction over accepted articles and publish the events to ``news.events.v1``.

    The extractor (and its spaCy model) is imported here, lazily, once per process. An article
    the extractor fails on is logged and skipped. Returns how many events were acknowledged.
    """
    try:
        from newswire.extract.extractor import EventExtractor
    except ImportError as exc:
        raise IngestError(f"event extraction is not available: {exc}") from exc
    from newswire.transport.kafka import RecordPublisher
    from schemas.topics import EVENTS

    extractor = EventExtractor()
    events: list[Any] = []
    for article in _unique_latest(read_articles(accepted_paths)):
        try:
            events.extend(extractor.extract(article))
        except NewswireError as exc:
            log.error("article %s: event extraction failed: %s", article.id, exc)
    if not events:
        return 0
    with RecordPublisher(kafka_settings) as publisher:
        sent = publisher.publish(EVENTS, events)
    log.info("published %d event(s) to %s", sent, EVENTS.name)
    return sent


# --- one pass without Airflow ----------------------------------------------------------------


@dataclass(slots=True)
class IngestReport:
    """Counts of one ingest pass."""

    run_id: str
    fetched: int = 0
    fetch_unchanged: int = 0
    fetch_errors: int = 0
    accepted: int = 0
    duplicates: int = 0
    unchanged: int = 0
    normalize_errors: int = 0
    delivered: int = 0
    events: int = 0
    failed_sources: dict[str, str] = field(default_factory=dict)
    output: str | None = None

    def summary(self) -> str:
        """One line for the operator."""
        target = f"written to {self.output}" if self.output else "published"
        text = (
            f"run {self.run_id}: {self.fetched} document(s) fetched, {self.fetch_unchanged} "
            f"unchanged, {self.fetch_errors} fetch error(s); {self.accepted} article(s) accepted, {self.duplicates} duplicate(s), "
            f"{self.unchanged} unchanged, {self.normalize_errors} normalize error(s); "
            f"{self.delivered} {target}"
        )
        if self.failed_sources:
            text += "; failed sources: " + ", ".join(
                f"{source} ({reason})" for source, reason in self.failed_sources.items()
            )
        return text


def run_ingest_pass(
    catalogue_path: Path,
    *,
    settings: IngestSettings | None = None,
    output: Path | None = None,
    run_id: str | None = None,
    kafka_settings: KafkaSettings | None = None,
    extract_events: bool = False,
) -> IngestReport:
    """One pass over the catalogue's enabled sources, the same task functions the DAG runs.

    With ``output`` the newly accepted articles are written there (no Kafka needed); without
    it they are published to ``news.articles.v1``. A source that fails is reported and the pass
    goes on with the others.
    """
    settings = settings or IngestSettings()
    run_id = run_id or new_run_id()
    report = IngestReport(run_id=run_id, output=str(output) if output else None)
    prune_runs(settings, keep_run=run_id)
    accepted_paths: list[str] = []
    for source_id in enabled_source_ids(catalogue_path):
        try:
            fetched = fetch_source(source_id, catalogue_path, run_id=run_id, settings=settings)
            report.fetched += fetched.documents
            report.fetch_unchanged += fetched.unchanged
            report.fetch_errors += fetched.errors
            outcome = normalize_source(fetched.path, run_id=run_id, settings=settings)
        except NewswireError as exc:
            log.error("source %s failed: %s", source_id, exc)
            report.failed_sources[source_id] = str(exc)
            continue
        report.accepted += outcome.accepted
        report.duplicates += outcome.duplicates
        report.unchanged += outcome.unchanged
        report.normalize_errors += outcome.errors
        accepted_paths.append(outcome.path)
    if output is not None:
        report.delivered = write_articles(accepted_paths, output, settings=settings)
    else:
        published = RunFiles(settings.state_dir, run_id).run_dir / "published.jsonl"
        report.delivered = publish_articles(
            accepted_paths,
            settings=settings,
            kafka_settings=kafka_settings,
            published_path=published,
        )
        if extract_events:
            report.events = extract_and_publish_events([published], kafka_settings=kafka_settings)
    return report
