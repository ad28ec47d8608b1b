"""Command-line functions of the ingest area; the lead registers them in ``newswire.cli``.

``normalize_command`` is ``newswire normalize PATH... --output OUT.jsonl`` (offline);
``ingest_command`` is ``newswire ingest --sources CATALOG.yaml [--output OUT.jsonl]
[--state-dir DIR]`` (one pass over a catalogue, the same code path as the DAG's tasks).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer
from pydantic import ValidationError

from newswire.errors import NewswireError
from newswire.validation import describe_settings_error

LOCAL_SOURCE_ID = "local"
NORMALIZE_SUFFIXES = (".html", ".htm", ".txt", ".json")


def iter_input_files(paths: list[Path]) -> Iterator[tuple[Path, str | None]]:
    """Each input file, or an error message for a path that is not usable.

    A folder contributes its ``.html``, ``.htm``, ``.txt`` and ``.json`` files (sorted, not
    recursive); a file named explicitly is always tried.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and child.suffix.lower() in NORMALIZE_SUFFIXES:
                    yield child, None
        elif path.is_file():
            yield path, None
        else:
            yield path, "no such file or folder"


def normalize_command(
    paths: list[Path] = typer.Argument(
        ..., help="Files or folders of .html, .htm, .txt and .json files."
    ),
    output: Path = typer.Option(..., "--output", help="JSON lines file to write."),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=0,
        help="Worker processes (default: NEWSWIRE_INGEST_NORMALIZE_WORKERS, 0 = one per core).",
    ),
) -> None:
    """Normalize local files to NormalizedArticle JSON lines (offline, no network).

    One output line per input file, in input order whatever the number of workers: the article
    plus ``source_path``. A file that cannot be normalized is reported on stderr and skipped; the
    exit code is 1 only when no file at all could be normalized.
    """
    from newswire.ingest.normalize import NormalizeOptions
    from newswire.ingest.normalize.batch import normalize_paths
    from newswire.ingest.settings import IngestSettings

    settings = IngestSettings()
    options = NormalizeOptions.from_settings(settings)
    entries = list(iter_input_files(paths))
    results = normalize_paths(
        (path for path, problem in entries if problem is None),
        source_id=LOCAL_SOURCE_ID,
        options=options,
        workers=settings.normalize_workers if workers is None else workers,
    )
    written = failed = 0
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as sink:
        for path, problem in entries:
            if problem is not None:
                typer.echo(f"error: {path}: {problem}", err=True)
                failed += 1
                continue
            result = next(results)
            if result.line is None:
                typer.echo(f"error: {path}: cannot normalize: {result.error}", err=True)
                failed += 1
                continue
            sink.write(result.line + "\n")
            sink.flush()
            written += 1
    typer.echo(f"normalized {written} file(s) to {output}; {failed} failed", err=True)
    if written == 0:
        raise typer.Exit(code=1)


def ingest_command(
    sources: Path = typer.Option(..., "--sources", help="Source catalogue (YAML)."),
    output: Path | None = typer.Option(
        None,
        "--output",
        help="Write newly accepted articles as JSON lines here instead of publishing to Kafka.",
    ),
    state_dir: Path | None = typer.Option(
        None, "--state-dir", help="Ingest state (default under the user's data dir)."
    ),
) -> None:
    """One ingest pass over a catalogue: fetch, normalize, de-duplicate, then publish or write.

    Ends with a table per source on stderr (fetched, not modified, accepted, duplicates,
    deferred, failed with reasons); shows a progress bar when stderr is a terminal. Items that
    fail or are deferred do not change the exit code; it is 1 only when nothing could be done.
    Logs one line per source and stage with its counters and, when ``NEWSWIRE_METRICS_DIR`` is
    set, adds them to the Prometheus textfiles there (:mod:`newswire.ingest.metrics`).
    """
    from newswire.ingest.fetch.settings import FetchSettings
    from newswire.ingest.metrics import MetricsSettings, report_stages
    from newswire.ingest.pipeline import enabled_source_ids, run_ingest_pass
    from newswire.ingest.settings import IngestSettings
    from newswire.ingest.summary import pass_progress, print_summary, stage_reports
    from newswire.settings import KafkaSettings

    # Every setting is read here, before anything is fetched: a bad one is a one-line error.
    try:
        settings = IngestSettings()
        metrics_settings = MetricsSettings()
        fetch_settings = FetchSettings()
        kafka_settings = KafkaSettings()  # required even with --output, where it is unused
    except ValidationError as exc:
        typer.echo(f"error: {describe_settings_error(exc)}", err=True)
        raise typer.Exit(code=1) from exc
    if state_dir is not None:
        settings = settings.model_copy(update={"state_dir": state_dir})
    try:
        with pass_progress(len(enabled_source_ids(sources))) as progress:
            report = run_ingest_pass(
                sources,
                settings=settings,
                output=output,
                progress=progress,
                kafka_settings=kafka_settings,
                fetch_settings=fetch_settings,
            )
    except NewswireError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    report_stages(stage_reports(report), metrics_settings)
    typer.echo(report.summary(), err=True)
    print_summary(report)
    if report.failed_sources and not report.accepted and not report.fetched:
        raise typer.Exit(code=1)
