"""One ingest pass without Airflow: the same task functions the DAG runs, chained."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from newswire.errors import NewswireError
from newswire.ingest.pipeline.delivery import (
    extract_and_publish_events,
    publish_articles,
    write_articles,
)
from newswire.ingest.pipeline.runs import RunFiles, new_run_id, prune_runs
from newswire.ingest.pipeline.tasks import (
    FetchOutcome,
    enabled_source_ids,
    fetch_source,
    normalize_source,
)
from newswire.ingest.settings import IngestSettings

if TYPE_CHECKING:
    from newswire.extract.settings import ExtractSettings
    from newswire.ingest.fetch.settings import FetchSettings
    from newswire.settings import KafkaSettings


log = logging.getLogger(__name__)

# --- one pass without Airflow ----------------------------------------------------------------


@dataclass(slots=True)
class SourceSummary:
    """What one source gave in a pass: the row of the pass summary table."""

    source_id: str
    fetched: int = 0
    not_modified: int = 0
    accepted: int = 0
    duplicates: int = 0
    deferred: int = 0
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # failures by reason
    error: str | None = None  # the whole source failed
    error_stage: str | None = None  # where: "fetch" or "normalize"
    unchanged: int = 0  # normalized, and the seen-article index had it unchanged
    normalize_failed: int = 0
    published: int = 0  # delivered (to Kafka, or written to the output file)
    events: dict[str, int] = field(default_factory=dict)  # events published, by type

    def reason_text(self) -> str:
        """Failure reasons as ``deadline x2, HTTP 404``, or the source's own failure."""
        parts = [f"{name} x{count}" if count > 1 else name for name, count in self.reasons.items()]
        if self.error is not None:
            parts.append(f"source failed: {self.error}")
        return ", ".join(parts)


ProgressHook = Callable[[str, str], None]
"""``(phase, source_id)``, called when a source is fetched and when it is normalized."""


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
    deferred: int = 0
    sources: list[SourceSummary] = field(default_factory=list)  # in catalogue order

    def summary(self) -> str:
        """One line for the operator."""
        target = f"written to {self.output}" if self.output else "published"
        text = (
            f"run {self.run_id}: {self.fetched} document(s) fetched, {self.fetch_unchanged} "
            f"unchanged, {self.fetch_errors} fetch error(s); {self.accepted} article(s) accepted, {self.duplicates} duplicate(s), "
            f"{self.unchanged} unchanged, {self.normalize_errors} normalize error(s); "
            f"{self.delivered} {target}"
        )
        if self.deferred:
            text += f"; {self.deferred} deferred to the next pass"
        if self.failed_sources:
            text += "; failed sources: " + ", ".join(
                f"{source} ({reason})" for source, reason in self.failed_sources.items()
            )
        return text


def run_ingest_pass(
    catalogue_path: Path,
    *,
    settings: IngestSettings,
    fetch_settings: FetchSettings,
    kafka_settings: KafkaSettings,
    output: Path | None = None,
    run_id: str | None = None,
    extract_settings: ExtractSettings | None = None,
    progress: ProgressHook | None = None,
) -> IngestReport:
    """One pass over the catalogue's enabled sources, the same task functions the DAG runs.

    Sources are fetched concurrently through one :class:`~newswire.ingest.fetch.FetchPool`
    (``fetch_settings.workers`` requests in flight, per-host lanes, time budgets); then each
    source is normalized in catalogue order, so ids, versions and duplicate verdicts do not
    depend on which fetch finished first. With ``output`` the newly accepted articles are
    written there (``kafka_settings`` unused); without it they are published to
    ``news.articles.v1`` and, given ``extract_settings``, their events are extracted and
    published to ``news.events.v1``. A source that fails is reported and the pass goes on with
    the others.
    """
    from newswire.ingest.fetch.pool import FetchPool

    run_id = run_id or new_run_id()
    report = IngestReport(run_id=run_id, output=str(output) if output else None)
    prune_runs(settings, keep_run=run_id)
    pool = FetchPool(fetch_settings)
    source_ids = enabled_source_ids(catalogue_path)

    def fetch_one(source_id: str) -> FetchOutcome | NewswireError:
        try:
            return fetch_source(
                source_id, catalogue_path, run_id=run_id, settings=settings, pool=pool
            )
        except NewswireError as exc:
            return exc
        finally:
            if progress is not None:
                progress("fetch", source_id)

    fetched_all = pool.map_sources(fetch_one, source_ids)
    accepted_paths: list[str] = []
    for source_id, fetched in zip(source_ids, fetched_all, strict=True):
        row = SourceSummary(source_id)
        report.sources.append(row)
        try:
            if isinstance(fetched, NewswireError):
                raise fetched
            row.fetched, row.not_modified = fetched.documents, fetched.unchanged
            row.deferred, row.failed = fetched.deferred, fetched.errors
            row.reasons = dict(fetched.reasons)
            report.fetched += fetched.documents
            report.fetch_unchanged += fetched.unchanged
            report.fetch_errors += fetched.errors
            report.deferred += fetched.deferred
            outcome = normalize_source(fetched.path, run_id=run_id, settings=settings)
        except NewswireError as exc:
            log.error("source %s failed: %s", source_id, exc)
            report.failed_sources[source_id] = str(exc)
            row.error = str(exc)
            row.error_stage = "fetch" if isinstance(fetched, NewswireError) else "normalize"
            continue
        finally:
            if progress is not None:
                progress("normalize", source_id)
        row.accepted, row.duplicates = outcome.accepted, outcome.duplicates
        row.unchanged, row.normalize_failed = outcome.unchanged, outcome.errors
        if outcome.errors:
            row.failed += outcome.errors
            row.reasons["normalize"] = row.reasons.get("normalize", 0) + outcome.errors
        report.accepted += outcome.accepted
        report.duplicates += outcome.duplicates
        report.unchanged += outcome.unchanged
        report.normalize_errors += outcome.errors
        accepted_paths.append(outcome.path)
    delivered: Counter[str] = Counter()
    events: Counter[tuple[str, str]] = Counter()
    if output is not None:
        report.delivered = write_articles(
            accepted_paths, output, settings=settings, tally=delivered
        )
    else:
        published = RunFiles(settings.state_dir, run_id).run_dir / "published.jsonl"
        report.delivered = publish_articles(
            accepted_paths,
            settings=settings,
            kafka_settings=kafka_settings,
            published_path=published,
            tally=delivered,
        )
        if extract_settings is not None:
            report.events = extract_and_publish_events(
                [published],
                kafka_settings=kafka_settings,
                extract_settings=extract_settings,
                tally=events,
            )
    for row in report.sources:
        row.published = delivered.get(row.source_id, 0)
        row.events = {kind: n for (src, kind), n in sorted(events.items()) if src == row.source_id}
    return report
