"""The dead-letter commands: ``newswire dlq list TOPIC`` and ``newswire dlq replay TOPIC``.

Thin wrappers of :mod:`newswire.transport.dlq`, imported when a command runs.
"""

from __future__ import annotations

import json

import typer

from newswire.errors import NewswireError

dlq_app = typer.Typer(
    help="Dead letters: list them, replay them to their source topic.", no_args_is_help=True
)

_TOPIC_HELP = "The source topic, e.g. news.events.v1 (its dead letters are in TOPIC.dlq)."


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=1)


@dlq_app.command("list")
def list_command(
    topic: str = typer.Argument(..., help=_TOPIC_HELP),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Only the newest N dead letters."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON array."),
    timeout: float = typer.Option(30.0, "--timeout", min=1.0, help="Seconds for Kafka calls."),
) -> None:
    """Show each dead letter: source topic, partition, offset, stage, error and time."""
    from pydantic import ValidationError

    from newswire.settings import KafkaSettings
    from newswire.transport.dlq import list_dead_letters

    try:
        letters = list_dead_letters(KafkaSettings(), topic, limit=limit, timeout_s=timeout)
    except (NewswireError, ValidationError) as exc:
        raise _fail(exc) from exc
    if json_output:
        typer.echo(json.dumps([letter.as_json() for letter in letters], ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"dead letters of {topic}: {len(letters)}", title_justify="left")
    for column in ("topic", "partition", "offset", "stage", "error", "failed at"):
        table.add_column(column)
    for letter in letters:
        table.add_row(
            letter.topic,
            str(letter.partition),
            str(letter.offset),
            letter.stage,
            letter.error,
            letter.failed_at.isoformat(timespec="seconds"),
        )
    Console().print(table)


@dlq_app.command("replay")
def replay_command(
    topic: str = typer.Argument(..., help=_TOPIC_HELP),
    error: str | None = typer.Option(
        None, "--error", help="Only errors containing this text or class (case-insensitive)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Only dead-lettered at or after: ISO time, or 30m/24h/7d ago."
    ),
    until: str | None = typer.Option(
        None, "--until", help="Only dead-lettered before: ISO time, or 30m/24h/7d ago."
    ),
    from_beginning: bool = typer.Option(
        False, "--from-beginning", help="Ignore the recorded progress; read the whole topic."
    ),
    timeout: float = typer.Option(60.0, "--timeout", min=1.0, help="Seconds for Kafka calls."),
) -> None:
    """Re-produce dead letters to their source topic, keyed as before; commits its progress."""
    from pydantic import ValidationError

    from newswire.settings import KafkaSettings
    from newswire.transport.dlq import ReplayFilter, parse_time, replay_dead_letters

    try:
        selection = ReplayFilter(
            error=error,
            since=parse_time(since) if since else None,
            until=parse_time(until) if until else None,
        )
        report = replay_dead_letters(
            KafkaSettings(),
            topic,
            selection,
            from_beginning=from_beginning,
            timeout_s=timeout,
        )
    except (NewswireError, ValidationError) as exc:
        raise _fail(exc) from exc
    typer.echo(
        f"replayed {report.replayed} dead letter(s) to {topic}; skipped {report.skipped} "
        f"(progress committed in group {report.group})"
    )
