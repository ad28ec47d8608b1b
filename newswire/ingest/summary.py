"""What ``newswire ingest`` shows the operator: a progress bar on a terminal, a table per source.

The table's columns are the pass's counters per source (fetched, not modified, accepted,
duplicates, deferred, failed, with reasons); they go to stderr, after the one-line summary.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from newswire.ingest.pipeline.passes import IngestReport, ProgressHook

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
