"""``newswire search QUERY [--type T] [--actor A] [--modality M] [--since 7d] [--json]``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from newswire.errors import NewswireError
from newswire.search.adapter import open_client, search_events
from newswire.search.query import (
    EventQuery,
    build_search,
    parse_event_type,
    parse_modality,
    parse_since,
)
from newswire.search.render import print_table, result_json
from newswire.search.settings import SearchSettings
from newswire.validation import describe_settings_error


def search_command(
    query: str = typer.Argument("", help="Words to find in evidence, titles and actor names."),
    type: str | None = typer.Option(None, "--type", help="An event type, e.g. LEADER_CONTACT."),
    actor: str | None = typer.Option(None, "--actor", help="An actor name or Wikidata id."),
    modality: str | None = typer.Option(None, "--modality", help="asserted, negated, ..."),
    since: str | None = typer.Option(None, "--since", help="Only the last 7d, 24h, 30m, 2w."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Print the events matching QUERY and the filters, newest or best first."""
    try:
        wanted = EventQuery(
            text=query,
            event_type=parse_event_type(type) if type else None,
            actor=actor,
            modality=parse_modality(modality) if modality else None,
            since=parse_since(since) if since else None,
        )
        settings = SearchSettings()
        body = build_search(wanted, now=datetime.now(UTC), size=settings.size)
        options: dict[str, Any] = dict(settings.es.client_options())
        es = open_client(options)
        try:
            result = search_events(
                es, settings.events_alias, body, timeout_s=settings.timeout_seconds
            )
        finally:
            es.close()
    except NewswireError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    except ValidationError as exc:
        # Settings from the environment (a CA file that is missing, a password without a user).
        typer.echo(f"error: {describe_settings_error(exc)}", err=True)
        raise typer.Exit(code=1) from exc
    if json_output:
        typer.echo(result_json(result))
    else:
        print_table(result, Console())
