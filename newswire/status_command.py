"""The printing side of ``newswire status`` (the checks are in :mod:`newswire.status`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import typer
from rich.console import Console
from rich.table import Table

from newswire.settings import ElasticsearchSettings, KafkaSettings, StackSettings
from newswire.status import PipelineStatus, collect_status


def _print(status: PipelineStatus) -> None:
    out = Console()
    services = Table(title="services", title_justify="left")
    for column in ("service", "address", "state"):
        services.add_column(column)
    services.add_row(
        "kafka",
        str(status.kafka.get("bootstrap_servers")),
        "up" if status.kafka.get("reachable") else "DOWN",
    )
    services.add_row(
        "elasticsearch",
        str(status.elasticsearch.get("url")),
        str(status.elasticsearch.get("health") or "DOWN"),
    )
    if status.airflow:
        services.add_row(
            "airflow",
            str(status.airflow.get("api_url") or ""),
            "up" if status.airflow.get("running") else "down",
        )
    out.print(services)
    topics = Table(title="topics", title_justify="left")
    for column in ("topic", "partitions", "end offsets", "lag by group", "dead letters"):
        topics.add_column(column)
    for name, info in status.topics.items():
        topics.add_row(
            name,
            str(info["partitions"]),
            str(sum(info["end_offsets"].values())),
            ", ".join(f"{g}={n}" for g, n in info["lag"].items()) or "-",
            str(status.dead_letters.get(name, 0)),
        )
    out.print(topics)
    for alias, info in status.aliases.items():
        out.print(
            f"{alias}: {info['documents']} document(s), newest first_seen_at "
            f"{info['newest_first_seen_at'] or '-'}",
            highlight=False,
        )
    if status.outbox:
        out.print(
            f"outbox: {status.outbox['pending']} pending, {status.outbox['failed']} failed, "
            f"{status.outbox['sent_last_hour']} sent in the last hour; "
            f"developments: {status.developments}",
            highlight=False,
        )
    for dag_id, runs in status.dag_runs.items():
        shown = ", ".join(
            f"{r['state']} ({r['duration_seconds'] if r['duration_seconds'] is not None else '-'} s)"
            for r in runs
        )
        out.print(f"DAG {dag_id}: {shown or 'no runs'}", highlight=False)
    out.print(status.verdict, highlight=False, style=None if status.healthy else "bold red")


def status_command(
    *,
    json_output: bool,
    consumer_groups: Sequence[str],
    outbox_index: str | None,
    developments_index: str | None,
) -> None:
    """Print the pipeline's status; exit 1 when it is unhealthy."""
    from newswire.airflow.settings import AirflowSettings

    status = collect_status(
        KafkaSettings(),
        ElasticsearchSettings(),
        AirflowSettings(),
        StackSettings(),
        consumer_groups=consumer_groups,
        outbox_index=outbox_index,
        developments_index=developments_index,
    )
    if json_output:
        typer.echo(json.dumps(status.to_json(), indent=2))
    else:
        _print(status)
    if not status.healthy:
        raise typer.Exit(code=1)
