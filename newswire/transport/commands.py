"""The transport commands: ``newswire publish --topic TOPIC FILE.jsonl``.

Kept thin: the work is :func:`newswire.transport.publish.publish_file`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from newswire.errors import NewswireError
from newswire.settings import KafkaSettings
from newswire.transport.publish import PublishFileError, publish_file, resolve_topic


def publish_command(
    topic: str = typer.Option(
        ..., "--topic", help="A topic of the catalogue, e.g. news.events.v1."
    ),
    file: Path = typer.Argument(..., help="A JSONL file: one contract record per line."),
) -> None:
    """Validate each line of FILE against TOPIC's contract and produce the valid ones."""
    try:
        spec = resolve_topic(topic)
        report = publish_file(spec, file, KafkaSettings())
    except NewswireError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2 if isinstance(exc, PublishFileError) else 1) from exc
    typer.echo(
        f"published {report.published} record(s) to {spec.name}; "
        f"{len(report.invalid)} invalid line(s) not sent"
    )
    if report.invalid:
        raise typer.Exit(code=1)
