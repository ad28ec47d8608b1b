"""The demo's figures: what the DAG runs fetched and accepted, what the indices gained.

Pure functions over run files and counts, so they are unit-tested.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.topics import ARTICLES, EVENTS


@dataclass(frozen=True, slots=True)
class RunCounts:
    """What one ``ingest_news`` run handed between its tasks (from its run files)."""

    fetched: int = 0
    accepted: int = 0

    @property
    def not_accepted(self) -> int:
        """Fetched documents that were duplicates or known already (syndicated copies, repeats)."""
        return max(self.fetched - self.accepted, 0)


def _lines(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(
        1
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )


def run_counts(run_dir: Path) -> RunCounts:
    """Count a run's fetched documents and accepted articles (``fetched/``, ``accepted/``)."""
    return RunCounts(fetched=_lines(run_dir / "fetched"), accepted=_lines(run_dir / "accepted"))


def added(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """The keys whose count grew, with by how much (never negative, zeros left out)."""
    grown = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    return {key: value for key, value in sorted(grown.items()) if value > 0}


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """The demo's figures for one run of ``make demo``."""

    runs: int
    fetched: int
    accepted: int
    duplicates: int
    new_articles: int
    new_events: int
    events_by_type: dict[str, int] = field(default_factory=dict)
    events_by_modality: dict[str, int] = field(default_factory=dict)
    webhook_alerts: int = 0
    email_alerts: int = 0
    run_failed: bool = False  # the triggered run ended failed

    @property
    def alerts(self) -> int:
        """Every notification delivered (webhook and email)."""
        return self.webhook_alerts + self.email_alerts


def summarize(
    runs: Iterable[RunCounts],
    *,
    articles_before: int,
    articles_after: int,
    events_before: Mapping[str, int],
    events_after: Mapping[str, int],
    modalities_before: Mapping[str, int],
    modalities_after: Mapping[str, int],
    webhook_alerts: int,
    email_alerts: int,
) -> DemoSummary:
    """Combine the DAG runs' counts and the before/after counts of the indices."""
    listed = list(runs)
    by_type = added(events_before, events_after)
    return DemoSummary(
        runs=len(listed),
        fetched=sum(run.fetched for run in listed),
        accepted=sum(run.accepted for run in listed),
        duplicates=sum(run.not_accepted for run in listed),
        new_articles=max(articles_after - articles_before, 0),
        new_events=sum(by_type.values()),
        events_by_type=by_type,
        events_by_modality=added(modalities_before, modalities_after),
        webhook_alerts=webhook_alerts,
        email_alerts=email_alerts,
    )


def task_progress(task_instances: Iterable[Mapping[str, object]]) -> str:
    """A one-line view of a run's task instances, e.g. ``fetch 6/6, normalize 2/6``."""
    done: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for task in task_instances:
        name = str(task.get("task_id"))
        total[name] += 1
        if task.get("state") in {"success", "skipped"}:
            done[name] += 1
    return ", ".join(f"{name} {done[name]}/{count}" for name, count in total.items())


#: (topic, consumer group) pairs the demo waits on.
SERVICE_GROUPS = (
    (ARTICLES.name, "newswire-indexer"),
    (EVENTS.name, "newswire-indexer"),
    (EVENTS.name, "newswire-alerter"),
)


def services_waiting(status: Mapping[str, Any]) -> list[str]:
    """What the indexer and alerter still have to do, from ``newswire status --json``.

    A group lags until it has committed offsets on a topic that has records; the alerter's
    outbox must have nothing pending. Empty: caught up.
    """
    if not status:
        return ["pipeline status unavailable"]
    waiting: list[str] = []
    topics = status.get("topics") or {}
    for topic, group in SERVICE_GROUPS:
        info = topics.get(topic) or {}
        records = sum(int(n) for n in (info.get("end_offsets") or {}).values())
        lag = (info.get("lag") or {}).get(group)
        if records and (lag is None or lag > 0):
            waiting.append(f"{group} on {topic}: {'starting' if lag is None else f'lag {lag}'}")
    pending = int((status.get("outbox") or {}).get("pending", 0))
    if pending:
        waiting.append(f"{pending} alert(s) pending")
    return waiting
