"""``newswire status``: one view of the pipeline's health for operators, cron and probes.

:func:`collect_status` asks Kafka (topics, end offsets, consumer-group lag, dead letters),
Elasticsearch (aliases, the alerter's outbox and developments) and, when ``newswire airflow``
runs it, Airflow (the last runs of each DAG), and returns one :class:`PipelineStatus`. Only an
unreachable Kafka, Elasticsearch or (started) Airflow makes it unhealthy; dead letters, lag and
failed deliveries are warnings. The index names of the alerter come from the caller (the command
line reads them from the alerter's settings), so this library never imports ``consumers``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from newswire.settings import ElasticsearchSettings, KafkaSettings, StackSettings
from schemas.indices import INDICES
from schemas.topics import TOPICS

if TYPE_CHECKING:
    from newswire.airflow.settings import AirflowSettings

log = logging.getLogger(__name__)


@dataclass
class PipelineStatus:
    """Everything ``newswire status`` reports; :meth:`to_json` is its ``--json`` document."""

    kafka: dict[str, Any] = field(default_factory=dict)
    elasticsearch: dict[str, Any] = field(default_factory=dict)
    airflow: dict[str, Any] = field(default_factory=dict)
    topics: dict[str, Any] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, Any] = field(default_factory=dict)
    outbox: dict[str, int] = field(default_factory=dict)
    developments: int | None = None
    dag_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """False when Kafka, Elasticsearch or a started Airflow cannot be reached."""
        return not self.problems

    @property
    def verdict(self) -> str:
        """One line: ``healthy`` (with warnings, if any) or what is wrong."""
        if self.problems:
            return "unhealthy: " + "; ".join(self.problems)
        if self.warnings:
            return "healthy, with warnings: " + "; ".join(self.warnings)
        return "healthy"

    def to_json(self) -> dict[str, Any]:
        """The ``status --json`` document (``healthy`` and ``dead_letters`` are kept)."""
        return {
            "healthy": self.healthy,
            "verdict": self.verdict,
            "kafka": self.kafka,
            "elasticsearch": self.elasticsearch,
            "airflow": self.airflow,
            "topics": self.topics,
            "dead_letters": self.dead_letters,
            "aliases": self.aliases,
            "outbox": self.outbox,
            "developments": self.developments,
            "dag_runs": self.dag_runs,
            "problems": self.problems,
            "warnings": self.warnings,
        }


def _kafka_part(status: PipelineStatus, settings: KafkaSettings, groups: Sequence[str]) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
    from kafka.errors import KafkaError

    status.kafka = {"bootstrap_servers": settings.bootstrap_servers, "reachable": False}
    try:
        consumer = KafkaConsumer(**settings.client_options(), enable_auto_commit=False)
    except (KafkaError, OSError) as exc:
        status.problems.append(f"Kafka unreachable at {settings.address()}: {exc}")
        return
    try:
        status.kafka["reachable"] = True
        names = [spec.name for spec in TOPICS.values()] + [spec.dlq for spec in TOPICS.values()]
        ends: dict[str, dict[int, int]] = {}
        starts: dict[str, dict[int, int]] = {}
        for name in names:
            partitions = sorted(consumer.partitions_for_topic(name) or set())
            tps = [TopicPartition(name, p) for p in partitions]
            ends[name] = (
                {tp.partition: n for tp, n in consumer.end_offsets(tps).items()} if tps else {}
            )
            starts[name] = (
                {tp.partition: n for tp, n in consumer.beginning_offsets(tps).items()}
                if tps
                else {}
            )
        for spec in TOPICS.values():
            if not ends[spec.name]:
                status.warnings.append(f"topic {spec.name} is missing (run newswire bootstrap)")
            status.topics[spec.name] = {
                "partitions": len(ends[spec.name]),
                "end_offsets": {str(p): n for p, n in sorted(ends[spec.name].items())},
                "lag": {},
            }
            dead = sum(ends[spec.dlq].values()) - sum(starts[spec.dlq].values())
            status.dead_letters[spec.name] = dead
            if dead:
                status.warnings.append(f"{dead} dead letter(s) for {spec.name}")
        admin = KafkaAdminClient(**settings.client_options())
        try:
            known = {(g["group_id"] if isinstance(g, dict) else g[0]) for g in admin.list_groups()}
            for group in [g for g in groups if g in known]:
                offsets = admin.list_group_offsets({group: None}).get(group, {})
                for spec in TOPICS.values():
                    lag = 0
                    seen = False
                    for tp, meta in offsets.items():
                        if tp.topic == spec.name and meta.offset >= 0:
                            seen = True
                            lag += max(ends[spec.name].get(tp.partition, 0) - meta.offset, 0)
                    if seen:
                        status.topics[spec.name]["lag"][group] = lag
                        if lag:
                            status.warnings.append(f"{group} lags {lag} on {spec.name}")
        finally:
            admin.close()
    except KafkaError as exc:
        status.problems.append(f"Kafka did not answer at {settings.address()}: {exc}")
        status.kafka["reachable"] = False
    finally:
        consumer.close()


def _es_part(
    status: PipelineStatus,
    settings: ElasticsearchSettings,
    outbox_index: str | None,
    developments_index: str | None,
) -> None:
    from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

    status.elasticsearch = {"url": settings.url, "reachable": False}
    client = Elasticsearch(**settings.client_options())  # type: ignore[arg-type]
    try:
        health = client.cluster.health()
        status.elasticsearch.update(reachable=True, health=health.get("status"))
        if health.get("status") == "red":
            status.warnings.append("Elasticsearch cluster health is red")
        for alias in INDICES:
            try:
                found = client.search(
                    index=alias,
                    size=0,
                    track_total_hits=True,
                    aggs={"newest": {"max": {"field": "first_seen_at"}}},
                )
                status.aliases[alias] = {
                    "documents": found["hits"]["total"]["value"],
                    "newest_first_seen_at": found["aggregations"]["newest"].get("value_as_string"),
                }
            except NotFoundError:
                status.aliases[alias] = {"documents": 0, "newest_first_seen_at": None}
        if outbox_index:
            try:
                found = client.search(
                    index=outbox_index,
                    size=0,
                    aggs={
                        "states": {"terms": {"field": "status", "size": 10}},
                        "recent": {"filter": {"range": {"sent_at": {"gte": "now-1h"}}}},
                    },
                )
                buckets = {
                    b["key"]: b["doc_count"] for b in found["aggregations"]["states"]["buckets"]
                }
                status.outbox = {
                    "pending": int(buckets.get("pending", 0)),
                    "failed": int(buckets.get("failed", 0)),
                    "sent_last_hour": int(found["aggregations"]["recent"]["doc_count"]),
                }
                if status.outbox["failed"]:
                    status.warnings.append(f"{status.outbox['failed']} failed deliveries")
            except NotFoundError:
                status.outbox = {"pending": 0, "failed": 0, "sent_last_hour": 0}
        if developments_index:
            try:
                status.developments = int(client.count(index=developments_index)["count"])
            except NotFoundError:
                status.developments = 0
    except (TransportError, ApiError) as exc:
        if not status.elasticsearch["reachable"]:
            status.problems.append(f"Elasticsearch unreachable at {settings.url}: {exc}")
        else:
            status.warnings.append(f"Elasticsearch query failed: {exc}")
    finally:
        client.close()


def _airflow_part(
    status: PipelineStatus,
    airflow_settings: AirflowSettings,
    stack: StackSettings,
    runs_per_dag: int,
) -> None:
    from newswire.airflow.errors import AirflowError
    from newswire.airflow.manager import AirflowManager

    manager = AirflowManager(airflow_settings, stack)
    try:
        airflow = manager.status()
        started = manager.was_started()
    except AirflowError as exc:
        status.warnings.append(f"Airflow state unreadable: {exc}")
        return
    status.airflow = {"started": started, "running": airflow.running, "api_url": airflow.api_url}
    if not airflow.running:
        if started:
            status.problems.append(f"Airflow was started but does not answer ({airflow.log})")
        return
    try:
        with manager.client() as client:
            dags = client.request("GET", "/api/v2/dags", params={"limit": 100}).json()
            for dag in dags.get("dags", []):
                runs = client.list_runs(dag["dag_id"], limit=runs_per_dag)
                status.dag_runs[dag["dag_id"]] = [_run_summary(run) for run in runs]
    except (AirflowError, httpx.HTTPError) as exc:
        status.problems.append(f"Airflow's REST API does not answer: {exc}")


def _run_summary(run: dict[str, Any]) -> dict[str, Any]:
    start, end = run.get("start_date"), run.get("end_date")
    duration = None
    if start and end:
        duration = round(
            (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 1
        )
    return {
        "run_id": run.get("dag_run_id"),
        "run_type": run.get("run_type"),
        "state": run.get("state"),
        "start_date": start,
        "duration_seconds": duration,
    }


def collect_status(
    kafka: KafkaSettings,
    elasticsearch: ElasticsearchSettings,
    airflow: AirflowSettings,
    stack: StackSettings,
    *,
    consumer_groups: Sequence[str] = (),
    outbox_index: str | None = None,
    developments_index: str | None = None,
    runs_per_dag: int = 5,
) -> PipelineStatus:
    """Ask every part of the pipeline how it is; never raises for an unreachable service."""
    status = PipelineStatus()
    _kafka_part(status, kafka, consumer_groups)
    _es_part(status, elasticsearch, outbox_index, developments_index)
    _airflow_part(status, airflow, stack, runs_per_dag)
    status.kafka["checked_at"] = datetime.now(UTC).isoformat()
    return status
