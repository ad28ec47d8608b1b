"""What ``newswire ingest`` shows the operator: a progress bar on a terminal, a table per source.

The table's columns are the pass's counters per source (fetched, not modified, accepted,
duplicates, deferred, failed, with reasons); they go to stderr, after the one-line summary.
The same counters, per source and stage, are what :func:`stage_reports` hands to
:mod:`newswire.ingest.metrics` (one log line per source and stage, Prometheus textfiles).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from newswire.ingest.metrics import (
    StageReport,
    extract_report,
    failed_report,
    fetch_report,
    normalize_report,
    publish_report,
)
from newswire.ingest.pipeline.passes import IngestReport, ProgressHook, SourceSummary
from newswire.ingest.pipeline.tasks import FetchOutcome, NormalizeOutcome

COLUMNS = ("source", "fetched", "not modified", "accepted", "duplicates", "deferred", "failed")


def summary_table(report: IngestReport) -> Table:
    """The per-source table of a pass, with a total row."""
    table = Table(title=f"ingest pass {report.run_id}", title_justify="left")
    for name in COLUMNS:
        table.add_column(name, justify="left" if name == "source" else "right")
    table.add_column("failure reasons", overflow="fold", min_width=16)
    totals = [0] * (len(COLUMNS) - 1)
    for row in report.sources:
        values = [
            row.fetched,
            row.not_modified,
            row.accepted,
            row.duplicates,
            row.deferred,
            row.failed,
        ]
        totals = [total + value for total, value in zip(totals, values, strict=True)]
        table.add_row(row.source_id, *map(str, values), row.reason_text())
    table.add_row("total", *map(str, totals), "", end_section=True)
    return table


def _source_reports(row: SourceSummary, *, delivered: str, extracted: bool) -> list[StageReport]:
    if row.error is not None and row.error_stage == "fetch":
        return [failed_report(row.source_id, "fetch", row.error)]
    fetch_reasons = dict(row.reasons)
    if row.normalize_failed:
        fetch_reasons.pop("normalize", None)
    fetched = FetchOutcome(
        row.source_id,
        "",
        row.fetched,
        row.not_modified,
        row.failed - row.normalize_failed,
        row.deferred,
        fetch_reasons,
    )
    if row.error is not None:
        return [fetch_report(fetched), failed_report(row.source_id, "normalize", row.error)]
    normalized = NormalizeOutcome(
        row.source_id, "", row.accepted, row.duplicates, row.unchanged, row.normalize_failed
    )
    reports = [
        fetch_report(fetched),
        normalize_report(normalized),
        publish_report(row.source_id, row.published, outcome=delivered),
    ]
    if extracted:
        reports.append(extract_report(row.source_id, row.events))
    return reports


def stage_reports(report: IngestReport, *, extracted: bool = False) -> list[StageReport]:
    """The pass's counters per source and stage (fetch, normalize, publish, extract if it ran).

    A source that failed as a whole has the stages up to the one that failed. The publish
    stage counts ``written`` articles when the pass wrote a file, else ``published`` ones.
    """
    delivered = "written" if report.output else "published"
    return [
        stage
        for row in report.sources
        for stage in _source_reports(row, delivered=delivered, extracted=extracted)
    ]


def print_summary(report: IngestReport, stream: TextIO | None = None) -> None:
    """Print the per-source table (plain, 160 columns wide, when ``stream`` is not a terminal)."""
    target = stream or sys.stderr
    console = Console(file=target, width=None if target.isatty() else 160)
    console.print(summary_table(report))


@contextmanager
def pass_progress(total_sources: int, stream: TextIO | None = None) -> Iterator[ProgressHook]:
    """A progress hook for :func:`run_ingest_pass`: a bar on a terminal, nothing otherwise."""
    target = stream or sys.stderr
    if not target.isatty() or total_sources == 0:
        yield lambda phase, source_id: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(file=target), transient=True) as progress:
        fetched = progress.add_task("fetching", total=total_sources)
        normalized = progress.add_task("normalizing", total=total_sources)

        def hook(phase: str, source_id: str) -> None:
            progress.advance(fetched if phase == "fetch" else normalized)

        yield hook
