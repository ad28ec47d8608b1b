"""``newswire airflow up|down|status|bootstrap``: the local Airflow from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError
from rich.console import Console

from newswire.errors import NewswireError
from newswire.validation import describe_settings_error

if TYPE_CHECKING:
    from newswire.airflow.manager import AirflowManager

airflow_app = typer.Typer(
    help="The local Airflow 3 (scheduler, api-server and UI) next to the local stack.",
    no_args_is_help=True,
)
_err = Console(stderr=True)


def _fail(exc: Exception) -> typer.Exit:
    message = describe_settings_error(exc) if isinstance(exc, ValidationError) else str(exc)
    _err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _manager() -> AirflowManager:
    """The command's manager, its settings built here, once."""
    from newswire.airflow.manager import AirflowManager
    from newswire.airflow.settings import AirflowSettings
    from newswire.settings import StackSettings

    return AirflowManager(AirflowSettings(), StackSettings())


def _print(status: object, verb: str) -> None:
    from newswire.airflow.manager import AirflowStatus

    assert isinstance(status, AirflowStatus)
    out = Console()
    out.print(f"Airflow {status.version or ''} {verb}".replace("  ", " "), highlight=False)
    if status.api_url:
        out.print(f"  UI and REST API: {status.ui_url}", highlight=False)
        out.print(f"  login:           {status.username} / {status.password}", highlight=False)
    out.print(
        f"  ingest_news registered: {'yes' if status.dag_registered else 'no'}; "
        f"pool ingest_fetch: {'yes' if status.pool_exists else 'no'}",
        highlight=False,
    )
    out.print(f"  home: {status.airflow_home}\n  log:  {status.log}", highlight=False)


@airflow_app.command("up")
def airflow_up(
    unpause: bool = typer.Option(
        False, "--unpause", help="Unpause ingest_news so the scheduler runs it every minute."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print status as JSON."),
) -> None:
    """Start Airflow (or reuse it), create its pools, wait until ingest_news is registered."""
    from newswire.airflow.manager import DAG_ID, TaskSettings, status_json

    try:
        manager = _manager()
        status = manager.up(TaskSettings.from_environment())
        if unpause:
            with manager.client() as client:
                client.set_paused(DAG_ID, False)
    except (NewswireError, ValidationError) as exc:
        raise _fail(exc) from exc
    if json_output:
        typer.echo(status_json(status))
    else:
        _print(status, "reused" if status.reused else "started")


@airflow_app.command("down")
def airflow_down() -> None:
    """Stop the local Airflow (its process group and any stale process of its home)."""
    try:
        stopped = _manager().down()
    except (NewswireError, ValidationError) as exc:
        raise _fail(exc) from exc
    typer.echo(f"stopped {len(stopped)} process(es)" if stopped else "nothing was running")


@airflow_app.command("status")
def airflow_status(
    json_output: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show where the local Airflow listens, its login, and whether ingest_news is registered."""
    from newswire.airflow.manager import status_json

    try:
        status = _manager().status()
    except (NewswireError, ValidationError) as exc:
        raise _fail(exc) from exc
    if json_output:
        typer.echo(status_json(status))
    else:
        _print(status, "running" if status.running else "not running")
    if not status.running:
        raise typer.Exit(code=3)


@airflow_app.command("bootstrap")
def airflow_bootstrap(
    catalogue: str | None = typer.Option(
        None, "--catalogue", help="Also set the Variable newswire_ingest_catalogue to this path."
    ),
    migrate: bool = typer.Option(
        False, "--migrate", help="Run `airflow db migrate` first (compose's airflow-init)."
    ),
) -> None:
    """Create the pools (and variables) the DAGs need with the airflow CLI (compose's airflow-init)."""
    from newswire.airflow.bootstrap import (
        CATALOGUE_VARIABLE,
        POOLS,
        bootstrap_via_cli,
        migrate_database,
    )

    variables = {CATALOGUE_VARIABLE: catalogue} if catalogue else {}
    try:
        if migrate:
            migrate_database()
        bootstrap_via_cli(variables)
    except NewswireError as exc:
        raise _fail(exc) from exc
    typer.echo(f"pools: {', '.join(p.name for p in POOLS)}; variables: {len(variables)}")
