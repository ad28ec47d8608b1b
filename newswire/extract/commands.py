"""Command-line functions of the extract area; the lead registers them in ``newswire.cli``.

``extract_command`` is ``newswire extract --input IN.jsonl --output OUT.jsonl`` (offline: no
Kafka, no Elasticsearch); ``eval_command`` is ``newswire eval [--split tune|test|all|seeds]
[--json]``.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from newswire.extract.extractor import EventExtractor


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
    from newswire.extract.extractor import ArticleInput
    from newswire.extract.jsonl import InputArticle, InputLineError, event_line, parse_input_line

    if not input.is_file():
        typer.echo(f"error: {input}: no such file", err=True)
        raise typer.Exit(code=1)
    extractor = _open_extractor()
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
    split: str = typer.Option(
        "tune",
        "--split",
        help="Which part of the corpus to score: tune, test, all, or seeds (the shared samples).",
    ),
    seeds: Path | None = typer.Option(
        None,
        "--seeds",
        envvar="NEWSWIRE_SEEDS_DIR",
        help="Folder of the shared sample articles (only for --split seeds).",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the scores as one JSON object."),
    errors: bool = typer.Option(
        False, "--errors", help="Also list every miss, false alarm and wrong modality."
    ),
) -> None:
    """Score the extractor on the labelled corpus shipped with the package.

    Prints, per event type and overall, what was found of the gold events, the false alarms,
    precision and recall, then modality and date accuracy over matched events and how many hard
    negatives produced an event. With ``--json`` stdout holds only one JSON object whose
    top-level ``articles``, ``events``, ``precision``, ``recall`` and ``modality_accuracy`` are
    a kept contract.
    """
    from newswire.extract.evaluation import CorpusError, Split, evaluate, load_corpus

    try:
        chosen = Split(split)
    except ValueError:
        typer.echo(f"error: --split must be one of {', '.join(s.value for s in Split)}", err=True)
        raise typer.Exit(code=2) from None
    try:
        articles = load_corpus(chosen, seeds)
    except CorpusError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    report = evaluate(_open_extractor(), articles, chosen.value)
    if json_output:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(report.to_table())
    if errors:
        typer.echo("\n".join(report.errors), err=json_output)


def _open_extractor() -> EventExtractor:
    """The extractor of a command: its settings built here, once; a bad setting is one line."""
    from pydantic import ValidationError

    from newswire.extract.extractor import EventExtractor, ExtractError
    from newswire.extract.settings import ExtractSettings
    from newswire.validation import describe_settings_error

    try:
        return EventExtractor(ExtractSettings()).open()
    except ValidationError as exc:
        typer.echo(f"error: {describe_settings_error(exc)}", err=True)
        raise typer.Exit(code=1) from exc
    except ExtractError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
