"""Command-line functions of the extract area; the lead registers them in ``newswire.cli``.

``extract_command`` is ``newswire extract --input IN.jsonl --output OUT.jsonl`` (offline: no
Kafka, no Elasticsearch); ``eval_command`` is ``newswire eval [--devset DIR] [--seeds DIR]
[--json]``.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import typer

from newswire.extract.evaluation import DEFAULT_DEVSET_DIR, DEFAULT_SEEDS_DIR


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def extract_command(
    input: Path = typer.Option(..., "--input", help="JSON lines: articles to extract from."),
    output: Path = typer.Option(..., "--output", help="JSON lines file of events to write."),
) -> None:
    """Extract typed events from articles (offline).

    Each input line is ``{"id", "text", "title"?, "published"? (YYYY-MM-DD), "url"?}`` or a
    NormalizedArticle line. Each output line is one Event (offsets into the input ``text``).
    Malformed lines are reported on stderr with their line number and skipped.
    """
    from newswire.extract.extractor import ArticleInput, EventExtractor, ExtractError
    from newswire.extract.jsonl import InputArticle, InputLineError, event_line, parse_input_line

    if not input.is_file():
        typer.echo(f"error: {input}: no such file", err=True)
        raise typer.Exit(code=1)
    try:
        extractor = EventExtractor().open()
    except ExtractError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    malformed = 0
    pending: deque[InputArticle] = deque()

    def items() -> Iterator[ArticleInput]:
        nonlocal malformed
        with input.open(encoding="utf-8", errors="replace") as source:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    parsed = parse_input_line(line, number)
                except InputLineError as exc:
                    malformed += 1
                    typer.echo(f"error: {input}:{number}: skipped: {exc}", err=True)
                    continue
                pending.append(parsed)
                yield parsed.item

    progress = None
    task = None
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(stderr=True), transient=True)
        task = progress.add_task("extracting", total=_count_lines(input))
        progress.start()
    articles_done = events_written = 0
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with output.open("w", encoding="utf-8") as sink:
            # Results come back in input order, so each one pairs with the oldest pending line.
            for _item, events in extractor.iter_extract(items()):
                parsed = pending.popleft()
                for event in events:
                    sink.write(event_line(event, parsed.output_id) + "\n")
                events_written += len(events)
                articles_done += 1
                if progress is not None and task is not None:
                    progress.update(task, completed=parsed.line_number)
    finally:
        if progress is not None:
            progress.stop()
    typer.echo(
        f"extracted {events_written} event(s) from {articles_done} article(s) to {output}; "
        f"{malformed} malformed line(s) skipped",
        err=True,
    )


def eval_command(
    devset: Path = typer.Option(
        DEFAULT_DEVSET_DIR, "--devset", help="Folder of labelled passages (YAML)."
    ),
    seeds: Path = typer.Option(
        DEFAULT_SEEDS_DIR,
        "--seeds",
        envvar="NEWSWIRE_SEEDS_DIR",
        help="Folder of the seed articles the dev set cites.",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Score the extractor on the labelled development set.

    Prints precision, recall and F1 per type, modality accuracy, actor accuracy, date accuracy,
    the duplicate rate and how many hard negatives produced an event.
    """
    from newswire.extract.evaluation import DevsetError, evaluate, load_devset
    from newswire.extract.extractor import EventExtractor

    try:
        passages = load_devset(devset, seeds)
    except DevsetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    report = evaluate(EventExtractor().open(), passages)
    if json_output:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(report.to_table())
