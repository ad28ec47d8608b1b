"""
### ingest_news

Runs every minute and fetches the **enabled** sources of the catalogue that are due (one mapped
task per source, limited by the `ingest_fetch` pool), normalizes and de-duplicates what was fetched, publishes the newly accepted
articles to `news.articles.v1` (keyed by article id, idempotent producer), then extracts their
events and publishes them to `news.events.v1` (keyed by event id). Every step is mapped per
source, so a source that fails after its retries never holds back the others.

* Catalogue (read at run time, never at parse time): the `catalogue` param, else the Airflow
  Variable `newswire_ingest_catalogue`, else `NEWSWIRE_INGEST_CATALOGUE_PATH`, else the
  repository's default catalogue.
* Per-source schedules: a scheduled run fetches only the sources whose `schedule` (cron or
  @preset) fired since their last successful fetch (kept in the ingest state). A run triggered
  by hand, or given a `catalogue` param, fetches every enabled source of its catalogue.
* State (seen articles, ETags, robots cache, per-run files): `NEWSWIRE_INGEST_STATE_DIR`.
* Tasks hand each other file paths through XCom, never article bodies.
* Re-running a data interval publishes nothing new (conditional GET, stable ids, dedup state).
* A task that fails for good loses nothing: validators of what was fetched are stored only
  once its articles are recorded, and the next publish sends what an earlier one could not.
* Every task logs one line per source with its counters (fetched, not modified, accepted,
  duplicates, deferred, failed, events by type) and, when `NEWSWIRE_METRICS_DIR` is set, adds
  them to that source's Prometheus textfile there (see the README, "Metrics and logs").
* `extract_events` (param, default on) runs event extraction (spaCy, model loaded once per task
  process) over the accepted articles; turn it off to ingest only.

This file only wires tasks: newswire modules are imported inside the task bodies.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, task

DAG_ID = "ingest_news"
OWNER = "newswire-ingest"
FETCH_POOL = "ingest_fetch"
FETCH_POOL_SLOTS = 4
CATALOGUE_VARIABLE = "newswire_ingest_catalogue"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=20),
}


def _settings() -> Any:
    from newswire.ingest.settings import IngestSettings

    return IngestSettings()


def _run_id() -> str:
    from airflow.sdk import get_current_context

    return str(get_current_context()["run_id"])


@dag(
    dag_id=DAG_ID,
    schedule="* * * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["newswire", "ingest"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    params={
        "catalogue": Param(None, type=["null", "string"], description="Catalogue YAML path."),
        "extract_events": Param(True, type="boolean", description="Run event extraction."),
    },
)
def ingest_news() -> None:
    """Fetch -> normalize + dedup -> publish (-> extract events)."""

    @task(execution_timeout=timedelta(minutes=2))
    def list_sources(params: dict[str, Any] | None = None) -> list[dict[str, str]]:
        """The enabled sources of the catalogue that are due, one mapping entry each."""
        from airflow.sdk import Variable, get_current_context

        from newswire.ingest.pipeline import load_sources, prune_runs
        from newswire.ingest.schedule import due_source_ids, last_fetches
        from newswire.ingest.sources import default_catalogue_path

        settings = _settings()
        prune_runs(settings, keep_run=_run_id())
        given = (params or {}).get("catalogue")
        chosen = given or Variable.get(CATALOGUE_VARIABLE, default=None)
        catalogue = Path(chosen or settings.catalogue_path or default_catalogue_path())
        sources = load_sources(catalogue).enabled_sources
        run_type = str(getattr(get_current_context()["dag_run"], "run_type", "manual"))
        fetch_all = bool(given) or not run_type.lower().endswith("scheduled")
        now = datetime.now(UTC)
        due = due_source_ids(
            sources, last_fetches(settings, [s.id for s in sources]), now, fetch_all=fetch_all
        )
        print(
            f"run type {run_type}: {len(due)} of {len(sources)} enabled source(s) due"
            f"{' (every source: manual run or catalogue param)' if fetch_all else ''}: {due}"
        )
        return [
            {"source_id": source_id, "catalogue": str(catalogue), "decided_at": now.isoformat()}
            for source_id in due
        ]

    @task(pool=FETCH_POOL, execution_timeout=timedelta(minutes=15))
    def fetch(source_id: str, catalogue: str, decided_at: str | None = None) -> str:
        """Fetch one source; returns the path of its FetchedDocument references."""
        from newswire.ingest.fetch import FetchPool, FetchSettings
        from newswire.ingest.metrics import (
            MetricsSettings,
            failing_stage,
            fetch_report,
            report_stages,
        )
        from newswire.ingest.pipeline import fetch_source
        from newswire.ingest.schedule import record_fetches

        settings = _settings()
        pool = FetchPool(FetchSettings())
        metrics = MetricsSettings()
        with failing_stage(source_id, "fetch", metrics):
            outcome = fetch_source(
                source_id, Path(catalogue), run_id=_run_id(), settings=settings, pool=pool
            )
        report_stages([fetch_report(outcome)], metrics)
        when = datetime.fromisoformat(decided_at) if decided_at else datetime.now(UTC)
        record_fetches(settings, {source_id: when})
        return outcome.path

    @task(execution_timeout=timedelta(minutes=20))
    def normalize(fetched_path: str) -> str:
        """Normalize and de-duplicate one source; returns the path of its accepted articles."""
        from newswire.ingest.metrics import (
            MetricsSettings,
            failing_stage,
            normalize_report,
            report_stages,
        )
        from newswire.ingest.pipeline import normalize_source

        metrics = MetricsSettings()
        with failing_stage(Path(fetched_path).stem, "normalize", metrics):
            outcome = normalize_source(fetched_path, run_id=_run_id(), settings=_settings())
        report_stages([normalize_report(outcome)], metrics)
        return outcome.path

    @task(execution_timeout=timedelta(minutes=10))
    def publish(accepted_path: str) -> str:
        """Publish one source's due articles; returns the path of those sent with new text."""
        from collections import Counter

        from newswire.ingest.metrics import (
            MetricsSettings,
            failing_stage,
            publish_report,
            report_stages,
        )
        from newswire.ingest.pipeline import publish_source
        from newswire.settings import KafkaSettings

        source_id, sent = Path(accepted_path).stem, Counter[str]()
        metrics = MetricsSettings()
        with failing_stage(source_id, "publish", metrics):
            path = publish_source(
                accepted_path,
                run_id=_run_id(),
                settings=_settings(),
                kafka_settings=KafkaSettings(),
                tally=sent,
            )
        report_stages([publish_report(source_id, sum(sent.values()))], metrics)
        return path

    @task(execution_timeout=timedelta(minutes=30))
    def extract_events(published_path: str, params: dict[str, Any] | None = None) -> int:
        """Extract the events of one source's published articles to news.events.v1."""
        from collections import Counter

        from airflow.exceptions import AirflowSkipException

        from newswire.extract.settings import ExtractSettings
        from newswire.ingest.metrics import (
            MetricsSettings,
            extract_report,
            failing_stage,
            report_stages,
        )
        from newswire.ingest.pipeline import extract_and_publish_events
        from newswire.settings import KafkaSettings

        if not (params or {}).get("extract_events", True):
            raise AirflowSkipException("event extraction is off (param extract_events)")
        source_id, events = Path(published_path).stem, Counter[tuple[str, str]]()
        metrics = MetricsSettings()
        with failing_stage(source_id, "extract", metrics):
            sent = extract_and_publish_events(
                [published_path],
                kafka_settings=KafkaSettings(),
                extract_settings=ExtractSettings(),
                tally=events,
            )
        by_type = Counter[str]()
        for (_, kind), count in events.items():
            by_type[kind] += count
        report_stages([extract_report(source_id, by_type)], metrics)
        return sent

    sources = list_sources()
    fetched = fetch.expand_kwargs(sources)
    # XComArgs stand in for the per-source paths at run time.
    accepted: Any = normalize.expand(fetched_path=fetched)
    published: Any = publish.expand(accepted_path=accepted)
    extract_events.expand(published_path=published)


ingest_news()
