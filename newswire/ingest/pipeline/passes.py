"""One ingest pass without Airflow: the same task functions the DAG runs, chained."""

from __future__ import annotations

import logging
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
from newswire.ingest.pipeline.tasks import enabled_source_ids, fetch_source, normalize_source
from newswire.ingest.settings import IngestSettings

if TYPE_CHECKING:
    from newswire.settings import KafkaSettings


log = logging.getLogger(__name__)

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
