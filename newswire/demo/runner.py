"""``make demo``: the whole pipeline through the Airflow scheduler, on the bundled sample site.

It starts (or reuses) the local stack and Airflow, serves the sample news site on loopback (a
port kept in the stack's run directory, so article URLs are the same every time), points the
``newswire_ingest_catalogue`` Variable at the site's catalogue, unpauses ``ingest_news`` and
triggers a run through REST API v2 (the scheduler's own run, created on unpause, fetches too;
both are idempotent). Meanwhile the indexer and the alerter run as services (``newswire consume``
subprocesses) with a subscription file whose channels are a loopback webhook and a local SMTP
mailbox. When the runs are done and the services idle, it prints the figures and where to look.
Run again, it adds no document and sends no alert. Nothing here calls the ingest code directly.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from newswire.airflow.bootstrap import CATALOGUE_VARIABLE
from newswire.airflow.client import AirflowClient
from newswire.airflow.manager import DAG_ID, AirflowManager, TaskSettings
from newswire.airflow.settings import AirflowSettings
from newswire.demo.receivers import Inbox, smtp_mailbox, webhook_receiver
from newswire.demo.summary import (
    DemoSummary,
    RunCounts,
    run_counts,
    services_waiting,
    summarize,
    task_progress,
)
from newswire.demo.website import catalogue, serve_site
from newswire.fsutil import write_text_atomically
from newswire.ingest.pipeline.runs import safe_run_key
from newswire.settings import ElasticsearchSettings, StackSettings
from newswire.stack import StackManager
from newswire.stack.processes import free_port, port_is_free
from schemas.indices import ARTICLES_INDEX, EVENTS_INDEX

SECRET_ENV = "NEWSWIRE_DEMO_WEBHOOK_SECRET"  # noqa: S105 - the name of a variable, not a secret
SETTLED_CHECKS = 2
FINISHED = frozenset({"success", "failed"})
RUN_TIMEOUT_SECONDS = 420.0
SERVICE_TIMEOUT_SECONDS = 300.0

console = Console()


class DemoState(BaseModel):
    """What the demo keeps between runs (``<stack run dir>/demo/demo.json``)."""

    site_port: int


def demo_subscriptions(webhook_url: str, smtp_port: int) -> str:
    """Subscriptions of the demo: every event type to the webhook, leader contacts by email."""
    webhook = f"""
      - type: webhook
        url: {webhook_url}
        secret_env: {SECRET_ENV}"""
    email = f"""
      - type: email
        to: [desk@demo.invalid]
        smtp_host: 127.0.0.1
        smtp_port: {smtp_port}"""
    return f"""subscriptions:
  - id: demo-all-events
    description: Every event of the demo site
    event_types: [LEADER_CONTACT, CONFIDENTIAL_LEAK, TROOP_DEPLOYMENT, DIPLOMATIC_PROTEST,
                  SANCTIONS_OR_ASSETS, MILITARY_ACTION]
    modalities: [asserted, reported, planned, hypothetical, negated]
    channels:{webhook}
  - id: demo-leaders-by-email
    description: Leader contacts and troop deployments, by email
    event_types: [LEADER_CONTACT, TROOP_DEPLOYMENT]
    channels:{email}
"""


def _site_port(state_path: Path) -> int:
    """The site's port: the one kept from an earlier run when free, else a new one (kept)."""
    try:
        port = DemoState.model_validate_json(state_path.read_text()).site_port
    except (OSError, ValueError):
        port = 0
    if not port or not port_is_free(port):
        port = free_port()
        write_text_atomically(state_path, DemoState(site_port=port).model_dump_json())
    return port


def index_counts(es: ElasticsearchSettings) -> tuple[int, dict[str, int], dict[str, int]]:
    """Articles in ``news-articles``, events in ``news-events`` by type and by modality."""
    from elasticsearch import Elasticsearch, NotFoundError

    client = Elasticsearch(**es.client_options())  # type: ignore[arg-type]
    try:
        client.indices.refresh(index=f"{ARTICLES_INDEX.alias},{EVENTS_INDEX.alias}")
        articles = client.count(index=ARTICLES_INDEX.alias)["count"]
        found = client.search(
            index=EVENTS_INDEX.alias,
            size=0,
            aggs={
                "types": {"terms": {"field": "type", "size": 20}},
                "modalities": {"terms": {"field": "modality", "size": 20}},
            },
        )
    except NotFoundError:
        return 0, {}, {}
    finally:
        client.close()
    aggs = found["aggregations"]
    return (
        int(articles),
        {b["key"]: int(b["doc_count"]) for b in aggs["types"]["buckets"]},
        {b["key"]: int(b["doc_count"]) for b in aggs["modalities"]["buckets"]},
    )


@contextmanager
def services(work: Path, subscriptions: Path, env: Mapping[str, str]) -> Iterator[list[Any]]:
    """``newswire consume indexer`` and ``... alerter`` as services (their own processes).

    They run until the demo has seen them catch up, then get SIGTERM (a clean shutdown).
    """
    procs: list[Any] = []
    for name, extra in (("indexer", []), ("alerter", ["--subscriptions", str(subscriptions)])):
        log = (work / f"{name}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "newswire", "consume", name, *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
        )
        procs.append((name, proc, log))
    try:
        yield procs
    finally:
        for _, proc, _ in procs:
            if proc.poll() is None:
                proc.terminate()
        for name, proc, log in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                console.print(f"  [yellow]the {name} did not stop on SIGTERM; killed[/]")
                proc.kill()
                proc.wait(timeout=30)
            log.close()


def pipeline_status(env: Mapping[str, str]) -> dict[str, Any]:
    """``newswire status --json`` (topics, consumer-group lag, the alerter's outbox)."""
    result = subprocess.run(
        [sys.executable, "-m", "newswire", "status", "--json"],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=120,
        check=False,
    )
    try:
        status: dict[str, Any] = json.loads(result.stdout)
    except ValueError:
        return {}
    return status


def wait_for_runs(
    client: AirflowClient, run_id: str, earlier: set[str], state_dir: Path
) -> dict[str, RunCounts]:
    """Wait for the triggered run, then pause the DAG at a moment when no run is running.

    Unpaused, the scheduler queues a run every minute. A paused DAG's running run never gets
    its remaining tasks scheduled, so the DAG is paused only between runs: once the triggered
    run is done and none is running, it is paused, and unpaused again to let a run finish that
    started meanwhile. Runs left queued (they would find nothing due) are not waited for.
    Returns the counts of every finished run not in ``earlier``, by run id.
    """
    counts: dict[str, RunCounts] = {}
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS

    def running() -> list[dict[str, Any]]:
        return [
            r
            for r in client.list_runs(DAG_ID, limit=20)
            if r["dag_run_id"] not in earlier and r.get("state") == "running"
        ]

    with console.status("waiting for the scheduler") as status:
        while True:
            runs = [r for r in client.list_runs(DAG_ID, limit=20) if r["dag_run_id"] not in earlier]
            pending = [r for r in runs if r.get("state") not in FINISHED]
            for run in runs:
                if run["dag_run_id"] not in counts and run not in pending:
                    counts[run["dag_run_id"]] = run_counts(
                        state_dir / "runs" / safe_run_key(run["dag_run_id"])
                    )
                    colour = "yellow" if run.get("state") == "failed" else "green"
                    console.print(
                        f"  run {run['dag_run_id']} ({run.get('run_type')}): "
                        f"[{colour}]{run.get('state')}[/]"
                    )
            if run_id in counts and not [r for r in pending if r.get("state") == "running"]:
                client.set_paused(DAG_ID, True)
                if not running():
                    return counts
                client.set_paused(DAG_ID, False)
            if time.monotonic() > deadline:
                raise SystemExit(f"ingest_news runs still going after {RUN_TIMEOUT_SECONDS:.0f} s")
            shown = pending[0] if pending else None
            if shown is not None:
                tasks = client.task_instances(DAG_ID, shown["dag_run_id"])
                status.update(
                    f"run {shown['dag_run_id']} {shown.get('state')}: {task_progress(tasks)}"
                )
            time.sleep(2)


def wait_for_services(procs: list[Any], env: Mapping[str, str], hook: Inbox, mail: Inbox) -> None:
    """Wait until the services have caught up: no lag, nothing pending, no new alert."""
    deadline = time.monotonic() + SERVICE_TIMEOUT_SECONDS
    settled = 0
    last = -1
    with console.status("indexer and alerter working") as status:
        while True:
            for name, proc, log in procs:
                if proc.poll() is not None:
                    raise SystemExit(f"the {name} exited with {proc.returncode}; see {log.name}")
            state = pipeline_status(env)
            waiting = services_waiting(state)
            alerts = len(hook.items()) + len(mail.items())
            settled = settled + 1 if not waiting and alerts == last else 0
            last = alerts
            if settled >= SETTLED_CHECKS:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"the services did not catch up in time: {waiting}")
            status.update(
                f"{', '.join(waiting) or 'caught up, settling'}; webhook "
                f"{len(hook.items())}, email {len(mail.items())} alert(s) so far"
            )
            time.sleep(2)


def print_summary(summary: DemoSummary, airflow: Any, alerts: list[dict[str, Any]]) -> None:
    """The figures and where to look next."""
    table = Table("figure", "value", title="newswire demo", title_justify="left")
    table.add_row("ingest_news runs", str(summary.runs))
    table.add_row("articles fetched", str(summary.fetched))
    table.add_row("articles accepted", str(summary.accepted))
    table.add_row("duplicates / already known", str(summary.duplicates))
    table.add_row("new documents in news-articles", str(summary.new_articles))
    table.add_row("new events in news-events", str(summary.new_events))
    for kind, count in summary.events_by_type.items():
        table.add_row(f"  type {kind}", str(count))
    for modality, count in summary.events_by_modality.items():
        table.add_row(f"  modality {modality}", str(count))
    table.add_row("alerts delivered (webhook)", str(summary.webhook_alerts))
    table.add_row("alerts delivered (email)", str(summary.email_alerts))
    console.print(table)
    for alert in alerts[:10]:
        event = alert.get("event", {})
        console.print(
            f"  alert {alert.get('subscription_id')}: {event.get('type')} "
            f"{event.get('modality')} — {str(alert.get('headline', ''))[:90]}"
        )
    if summary.alerts == 0:
        console.print("  (no new alert: each development is alerted once; this was seen before)")
    console.print(
        f"\nWhere to look next:\n"
        f"  Airflow UI   {airflow.ui_url}  (login {airflow.username} / {airflow.password})\n"
        f"  search       newswire search '' --since 3650d      "
        f"newswire search Kharkiv --type MILITARY_ACTION --since 3650d\n"
        f"  health       newswire status\n"
        f"  stop         newswire airflow down && newswire stack down"
    )


def run_demo() -> DemoSummary:
    """Run the demo once; returns its figures."""
    started = time.monotonic()
    console.print("[bold]1. Stack[/] (Kafka, Elasticsearch) and [bold]Airflow[/]")
    stack_settings = StackSettings()
    stack = StackManager(stack_settings).up()
    console.print(f"  Kafka {stack.bootstrap_servers}, Elasticsearch {stack.elasticsearch_url}")
    tasks = TaskSettings.from_environment()  # after `up`, which wrote the stack's env file
    es = tasks.elasticsearch
    manager = AirflowManager(AirflowSettings(), stack_settings)
    airflow = manager.up(tasks)
    console.print(f"  Airflow {airflow.api_url} (ingest_news registered)")
    env = manager.task_environment(tasks)
    state_dir = Path(env["NEWSWIRE_INGEST_STATE_DIR"])
    work = manager.stack_home / "demo"
    work.mkdir(parents=True, exist_ok=True)

    articles_before, types_before, modalities_before = index_counts(es)
    with (
        serve_site(_site_port(work / "demo.json")) as base,
        webhook_receiver() as (hook_url, hook),
        smtp_mailbox() as (smtp_port, mail),
        manager.client() as client,
    ):
        catalogue_path = work / "catalogue.yaml"
        write_text_atomically(catalogue_path, yaml.safe_dump(catalogue(base), sort_keys=False))
        subscriptions = work / "subscriptions.yaml"
        write_text_atomically(subscriptions, demo_subscriptions(hook_url, smtp_port))
        console.print(f"\n[bold]2. Sample site[/] {base} (RSS, Atom, news sitemap, HTML, JSON API)")
        console.print(f"  catalogue {catalogue_path}")
        service_env = {**os.environ, **env, SECRET_ENV: secrets.token_hex(16)}
        with services(work, subscriptions, service_env) as procs:
            console.print("\n[bold]3. ingest_news[/] through the scheduler (REST API v2)")
            earlier = {r["dag_run_id"] for r in client.list_runs(DAG_ID, limit=50)}
            with client.variable_set(CATALOGUE_VARIABLE, str(catalogue_path), "newswire demo site"):
                try:
                    # Triggered before unpausing, with a run_after before the scheduler's latest
                    # tick, so this run goes first; the scheduled run then finds nothing due.
                    run = client.trigger_run(
                        DAG_ID,
                        {"catalogue": str(catalogue_path)},
                        run_after=datetime.now(UTC) - timedelta(minutes=2),
                    )
                    client.set_paused(DAG_ID, False)
                    console.print(f"  triggered {run['dag_run_id']}; ingest_news unpaused")
                    counts = wait_for_runs(client, run["dag_run_id"], earlier, state_dir)
                    failed = client.get_run(DAG_ID, run["dag_run_id"]).get("state") == "failed"
                finally:
                    client.set_paused(DAG_ID, True)
            console.print("\n[bold]4. Indexer and alerter[/] catching up")
            wait_for_services(procs, service_env, hook, mail)
        alerts = hook.items()
        emails = mail.items()
    articles_after, types_after, modalities_after = index_counts(es)
    summary = summarize(
        counts.values(),
        articles_before=articles_before,
        articles_after=articles_after,
        events_before=types_before,
        events_after=types_after,
        modalities_before=modalities_before,
        modalities_after=modalities_after,
        webhook_alerts=len(alerts),
        email_alerts=len(emails),
    )
    summary = replace(summary, run_failed=failed)
    console.print()
    print_summary(summary, airflow, alerts)
    if failed:
        console.print(
            f"[red]the triggered run failed: see it in the Airflow UI ({airflow.ui_url})[/]"
        )
    console.print(f"\nDemo took {time.monotonic() - started:.0f} s. Work files: {work}")
    return summary


def main(argv: list[str] | None = None) -> int:
    """Run the demo; ``--json`` also prints the figures as one JSON line at the end."""
    args = sys.argv[1:] if argv is None else argv
    started = time.monotonic()
    summary = run_demo()
    if "--json" in args:
        seconds = round(time.monotonic() - started, 1)
        print(json.dumps({**asdict(summary), "alerts": summary.alerts, "seconds": seconds}))
    return 1 if summary.run_failed else 0
