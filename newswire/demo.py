"""``make demo``: the whole pipeline on the sample sources, against the local stack.

Ingests the shared sample articles (a file-drop source), extracts their events, publishes both
to Kafka, runs the indexer and the alerter until they are idle, then shows what an analyst and a
subscriber see: the events found through Elasticsearch, and the alerts a local webhook received.
Every step is the real one (the same code as the DAG and the services); nothing is faked.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Console
from rich.table import Table

from newswire.ingest.pipeline import run_ingest_pass
from newswire.ingest.settings import IngestSettings
from newswire.resources import resource_path
from newswire.stack import StackManager

CATALOGUE = resource_path("newswire.ingest", "catalogues", "seeds-filedrop.yaml")
SECRET_ENV = "NEWSWIRE_DEMO_WEBHOOK_SECRET"  # noqa: S105 - the name of a variable, not a secret
IDLE_SECONDS = "8"

console = Console()


class _Webhook(BaseHTTPRequestHandler):
    """A subscriber's endpoint: keeps every notification it receives."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            type(self).received.append(json.loads(body))
        except ValueError:
            type(self).received.append({"unparsable": body.decode(errors="replace")})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def webhook_receiver() -> Iterator[str]:
    """A loopback webhook endpoint for the demo subscriptions."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def demo_subscriptions(url: str) -> str:
    """The two default subscriptions, and one for leaks, delivered to the demo webhook."""
    channel = f"""
    channels:
      - type: webhook
        url: {url}
        secret_env: {SECRET_ENV}"""
    return f"""subscriptions:
  - id: macron-putin
    description: Macron–Putin contact
    event_types: [LEADER_CONTACT]
    actors_all: [Emmanuel Macron, Vladimir Putin]{channel}
  - id: troops-to-ukraine
    description: NATO / European troop deployment to Ukraine
    event_types: [TROOP_DEPLOYMENT]{channel}
  - id: leaks
    description: Leaked conversations
    event_types: [CONFIDENTIAL_LEAK]{channel}
"""


def run_consumer(name: str, log_dir: Path, *extra: str) -> None:
    """Run ``newswire consume NAME --until-idle`` as its own process (logs to a file)."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("w") as log:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "newswire",
                "consume",
                name,
                "--until-idle",
                IDLE_SECONDS,
                *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=600,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(f"the {name} exited with {result.returncode}; see {log_path}")
    console.print(f"  {name}: done (log: {log_path})")


def main() -> int:
    """Run the demo; returns the exit code."""
    status = StackManager().status()
    if not status.running:
        console.print("[red]The local stack is not running: run `newswire stack up` first.[/]")
        return 1
    console.print(
        f"[bold]newswire demo[/] — Kafka {status.bootstrap_servers}, "
        f"Elasticsearch {status.elasticsearch_url}"
    )
    work = Path(tempfile.mkdtemp(prefix="newswire-demo-"))

    console.print("\n[bold]1. Ingest[/] the sample articles, extract events, publish to Kafka")
    report = run_ingest_pass(
        CATALOGUE, settings=IngestSettings(state_dir=work / "state"), extract_events=True
    )
    if report.failed_sources:
        console.print(f"[red]sources failed: {report.failed_sources}[/]")
        return 1
    console.print(
        f"  fetched {report.fetched}, accepted {report.accepted}, duplicates {report.duplicates}, "
        f"published {report.delivered} article(s) and {report.events} event(s)"
    )

    console.print("\n[bold]2. Index[/] articles and events into Elasticsearch")
    run_consumer("indexer", work)

    console.print("\n[bold]3. Alert[/] subscribers once per new development")
    subscriptions = work / "subscriptions.yaml"
    with webhook_receiver() as url:
        subscriptions.write_text(demo_subscriptions(url))
        # The subscription names the variable that holds its signing secret.
        os.environ[SECRET_ENV] = secrets.token_hex(16)
        run_consumer("alerter", work, "--subscriptions", str(subscriptions))
    alerts = list(_Webhook.received)

    console.print("\n[bold]4. Search[/] events as an analyst would (`newswire search`)")
    subprocess.run(
        [sys.executable, "-m", "newswire", "search", "", "--since", "3650d"], check=False
    )

    console.print(f"\n[bold]5. Alerts[/] received by the subscriber's webhook: {len(alerts)}")
    table = Table("subscription", "kind", "type", "actors", "modality", "evidence")
    for alert in alerts:
        event = alert.get("event", {})
        table.add_row(
            str(alert.get("subscription_id")),
            str(alert.get("kind")),
            str(event.get("type")),
            ", ".join(a.get("name", "") for a in event.get("actors", [])),
            str(event.get("modality")),
            str(event.get("evidence", ""))[:90],
        )
    console.print(table)
    if not alerts:
        console.print(
            "  (none new: these developments were already alerted in an earlier run — "
            "alerts go out once per development)"
        )
    console.print(f"\nWork files: {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
