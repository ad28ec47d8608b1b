"""The ``newswire`` command: one thin function per subcommand, calling the library."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from consumers.alerter.commands import subscriptions_app
from consumers.alerter.feed_server import feeds_app
from newswire.airflow.commands import airflow_app
from newswire.errors import NewswireError
from newswire.extract.commands import eval_command, extract_command
from newswire.ingest.commands import ingest_command, normalize_command
from newswire.transport.dlq_commands import dlq_app
from newswire.validation import describe_settings_error

if TYPE_CHECKING:
    from newswire.stack import StackManager, StackStatus
    from newswire.stack.manager import ServerStatus

T = TypeVar("T")

app = typer.Typer(
    name="newswire",
    help="newswire: news feeds to typed events, Kafka, Elasticsearch and alerts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stack_app = typer.Typer(
    help="The local Kafka + Elasticsearch stack (no Docker).", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")
consume_app = typer.Typer(help="Run a Kafka consumer service.", no_args_is_help=True)
app.add_typer(consume_app, name="consume")
app.add_typer(airflow_app, name="airflow")
app.add_typer(dlq_app, name="dlq")

err = Console(stderr=True)


def _fail(exc: Exception) -> typer.Exit:
    message = describe_settings_error(exc) if isinstance(exc, ValidationError) else str(exc)
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at debug level."),
) -> None:
    """Configure logging for every subcommand (``NEWSWIRE_LOG_FORMAT=json|console``)."""
    from newswire.logs import LogSettings, configure_logging

    try:
        settings = LogSettings()
    except ValidationError as exc:
        raise _fail(exc) from exc
    # A host that configured logging already (pytest, Airflow) keeps its handlers.
    configure_logging(
        settings,
        default="console",
        level=logging.DEBUG if verbose else None,
        respect_existing=True,
    )


def _stack(action: Callable[[StackManager], T], *, secure: bool = False) -> T:
    """Run ``action`` on a stack manager built from the environment; errors exit 1.

    ``secure`` turns security on whatever the environment says (``stack up --secure``).
    """
    from newswire.settings import StackSettings
    from newswire.stack import StackManager

    try:
        return action(StackManager(StackSettings(security=True) if secure else StackSettings()))
    except (NewswireError, ValidationError) as exc:
        raise _fail(exc) from exc


def _show_status(status: StackStatus, *, json_output: bool, verb: str) -> None:
    from newswire.stack.manager import status_json

    if json_output:
        typer.echo(status_json(status))
    else:
        _print_status(status, verb=verb)


@stack_app.command("up")
def stack_up(
    json_output: bool = typer.Option(False, "--json", help="Print status as JSON."),
    secure: bool = typer.Option(
        False,
        "--secure",
        help="Security on (as NEWSWIRE_STACK_SECURITY=on): Elasticsearch over TLS with a user, "
        "Kafka over SASL_SSL/SCRAM-SHA-512. Chosen when the stack is created.",
    ),
) -> None:
    """Start Kafka and Elasticsearch (or reuse them), create topics and index templates."""
    status = _stack(lambda manager: manager.up(), secure=secure)
    _show_status(status, json_output=json_output, verb="reused" if status.reused else "started")


@stack_app.command("down")
def stack_down() -> None:
    """Stop everything `stack up` started."""
    stopped = _stack(lambda manager: manager.down())
    typer.echo(f"stopped {len(stopped)} process group(s)" if stopped else "nothing was running")


@stack_app.command("status")
def stack_status(json_output: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Show where Kafka and Elasticsearch listen and whether they run."""
    status = _stack(lambda manager: manager.status())
    verb = "running" if status.running else "not running"
    _show_status(status, json_output=json_output, verb=verb)
    if not status.running:
        raise typer.Exit(code=3)


def _print_status(status: StackStatus, *, verb: str) -> None:
    from rich.table import Table

    table = Table(title=f"newswire local stack: {verb}", title_justify="left")
    for column in ("service", "address", "version", "pid", "state", "log"):
        table.add_column(column)
    rows: list[tuple[str, str | None, ServerStatus, str]] = []
    if (kafka := status.kafka) is not None:
        rows.append(("kafka", status.bootstrap_servers, kafka, "up" if kafka.running else "down"))
    if (es := status.elasticsearch) is not None:
        rows.append(("elasticsearch", status.elasticsearch_url, es, es.health or "down"))
    for service, address, server, state in rows:
        pid = str(server.pid or "")
        table.add_row(service, address or "", server.version, pid, state, server.log)
    Console().print(table)
    Console().print(f"run dir: {status.run_dir}")
    if status.security:
        Console().print(
            "security on: Kafka SASL_SSL/SCRAM-SHA-512, Elasticsearch TLS + user; the "
            f"connection settings are in {status.run_dir}/stack.env and the passwords in "
            f"{status.credentials_file} (owner-only files)",
            highlight=False,
            soft_wrap=True,
        )


@app.command("bootstrap")
def bootstrap_command(
    kibana_url: str | None = typer.Option(
        None, "--kibana-url", help="Also import the packaged Kibana saved objects."
    ),
) -> None:
    """Create the Kafka topics and index templates (and Kibana objects) from the catalogues."""
    from newswire.bootstrap import KibanaSettings, bootstrap
    from newswire.settings import ElasticsearchSettings, KafkaSettings

    try:
        kibana = KibanaSettings()
        if kibana_url is not None:
            kibana = kibana.model_copy(update={"url": kibana_url})
        report = bootstrap(KafkaSettings(), ElasticsearchSettings(), kibana)
    except (NewswireError, ValidationError) as exc:
        raise _fail(exc) from exc
    typer.echo(
        f"topics created: {len(report.topics_created)}; templates: {', '.join(report.templates)}; "
        f"kibana objects: {report.kibana_objects}"
    )


# -- ingestion and extraction (their modules import nothing heavy at the top) ------------------
app.command("normalize")(normalize_command)
app.command("ingest")(ingest_command)
app.command("extract")(extract_command)
app.command("eval")(eval_command)


# -- transport, search and consumers: thin wrappers that import their clients only when run ---
@app.command("publish")
def publish(
    topic: str = typer.Option(
        ..., "--topic", help="A topic of the catalogue, e.g. news.events.v1."
    ),
    file: Path = typer.Argument(..., help="A JSONL file: one contract record per line."),
) -> None:
    """Validate each line of FILE against TOPIC's contract and produce the valid ones."""
    from newswire.transport.commands import publish_command

    publish_command(topic=topic, file=file)


@app.command("search")
def search(
    query: str = typer.Argument("", help="Words to find in evidence, titles and actor names."),
    event_type: str | None = typer.Option(
        None, "--type", help="An event type, e.g. LEADER_CONTACT."
    ),
    actor: str | None = typer.Option(None, "--actor", help="An actor name or Wikidata id."),
    modality: str | None = typer.Option(None, "--modality", help="asserted, negated, ..."),
    since: str | None = typer.Option(None, "--since", help="Only the last 7d, 24h, 30m, 2w."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Search events through the news-events alias; print a table (or JSON) with highlights."""
    from newswire.search.command import search_command

    search_command(
        query=query,
        type=event_type,
        actor=actor,
        modality=modality,
        since=since,
        json_output=json_output,
    )


@consume_app.command("indexer")
def consume_indexer(
    until_idle: float | None = typer.Option(
        None, "--until-idle", help="Exit 0 once no record arrived for this many seconds."
    ),
) -> None:
    """Index news.articles.v1 and news.events.v1 into Elasticsearch."""
    from consumers.indexer.service import main as run

    try:
        code = run(until_idle)
    except ValidationError as exc:  # settings from the environment, before anything connects
        raise _fail(exc) from exc
    raise typer.Exit(code)


@consume_app.command("alerter")
def consume_alerter(
    subscriptions: Path | None = typer.Option(
        None, "--subscriptions", help="Subscriptions file (default: the shipped one)."
    ),
    until_idle: float | None = typer.Option(
        None, "--until-idle", help="Exit 0 once no event arrived for this many seconds."
    ),
    feed_dir: Path | None = typer.Option(
        None, "--feed-dir", help="Also write an Atom feed per subscription (DIR/<id>.atom)."
    ),
) -> None:
    """Notify subscribers once per new development."""
    from consumers.alerter.service import main as run

    try:
        code = run(subscriptions, until_idle, feed_dir)
    except ValidationError as exc:  # settings from the environment, before anything connects
        raise _fail(exc) from exc
    raise typer.Exit(code)


@app.command("status")
def status(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Pipeline health: stack, topics and lag, dead letters, indices, outbox, DAG runs."""
    from consumers.alerter.settings import AlerterSettings
    from consumers.indexer.settings import IndexerSettings
    from newswire.status_command import status_command

    try:
        alerter, indexer = AlerterSettings(), IndexerSettings()
        status_command(
            json_output=json_output,
            consumer_groups=[indexer.group_id, alerter.group_id],
            outbox_index=alerter.outbox_index,
            developments_index=alerter.developments_index,
        )
    except ValidationError as exc:  # only settings are validated here
        raise _fail(exc) from exc


app.add_typer(feeds_app, name="feeds")
app.add_typer(
    subscriptions_app, name="subscriptions", help="List, add, remove and test subscriptions."
)
