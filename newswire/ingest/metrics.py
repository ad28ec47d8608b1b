"""Counts of the ingest stages per source: one structured log line per task, Prometheus textfiles.

An ingest pass (``newswire ingest``) and the DAG's tasks are short-lived processes: they end
before a scraper comes by. So each stage that ran for a source adds its counts to that source's
file ``newswire_ingest_<source>.prom`` in the metrics directory (``NEWSWIRE_METRICS_DIR``; unset,
no file is written), in Prometheus' text format, written atomically, the convention of
node-exporter's textfile collector. The files hold counters that only grow across passes and
tasks (read back, added to, rewritten under a lock), so ``rate()`` and ``increase()`` work on
them; deleting a file is a counter reset.

Metric families (labels in braces):

- ``newswire_ingest_items_total{source,stage,outcome}``: items per stage and outcome: stage
  ``fetch`` (``fetched``, ``not_modified``, ``deferred``, ``failed``), ``normalize``
  (``accepted``, ``duplicate``, ``unchanged``, ``failed``), ``publish`` (``published``, or
  ``written`` when ``newswire ingest --output`` wrote a file)
- ``newswire_ingest_failures_total{source,stage,reason}``: failed items by reason
  (``HTTP 404``, ``deadline``, ``normalize``...)
- ``newswire_ingest_events_total{source,type}``: events published by the extract stage, by type
- ``newswire_ingest_source_errors_total{source,stage}``: tasks in which the whole source failed
- ``newswire_ingest_last_success_timestamp_seconds{source,stage}``: when the stage last
  completed for the source (Unix time)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from prometheus_client import CollectorRegistry, write_to_textfile
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswire.errors import NewswireError
from newswire.fsutil import directory_lock
from newswire.ingest.pipeline.runs import safe_run_key
from newswire.logs import log_fields

if TYPE_CHECKING:
    from newswire.ingest.pipeline.tasks import FetchOutcome, NormalizeOutcome

log = logging.getLogger(__name__)

Stage = Literal["fetch", "normalize", "publish", "extract"]
FILE_PREFIX = "newswire_ingest_"

ITEMS = "newswire_ingest_items"
FAILURES = "newswire_ingest_failures"
EVENTS = "newswire_ingest_events"
SOURCE_ERRORS = "newswire_ingest_source_errors"
LAST_SUCCESS = "newswire_ingest_last_success_timestamp_seconds"

_COUNTER, _GAUGE = "counter", "gauge"
# family name -> (type, help, label names)
FAMILIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    ITEMS: (_COUNTER, "Items per ingest stage and outcome.", ("source", "stage", "outcome")),
    FAILURES: (_COUNTER, "Failed items by reason.", ("source", "stage", "reason")),
    EVENTS: (_COUNTER, "Events published, by event type.", ("source", "type")),
    SOURCE_ERRORS: (_COUNTER, "Tasks in which the whole source failed.", ("source", "stage")),
    LAST_SUCCESS: (_GAUGE, "When the stage last completed for the source.", ("source", "stage")),
}

SampleKey = tuple[str, tuple[str, ...]]  # (family name, label values in FAMILIES order)
Samples = dict[SampleKey, float]


class IngestMetricsError(NewswireError):
    """The metrics directory or a metrics file cannot be used."""


class MetricsSettings(BaseSettings):
    """Where short-lived ingest processes leave their metrics (``NEWSWIRE_METRICS_DIR``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore", frozen=True)

    metrics_dir: Path | None = Field(
        default=None,
        description="Folder of Prometheus textfiles (node-exporter textfile collector); unset: none.",
    )


@dataclass(slots=True)
class StageReport:
    """What one stage (one task) did for one source: the counts that are logged and exported."""

    source_id: str
    stage: Stage
    outcomes: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)  # failed items by reason
    events: dict[str, int] = field(default_factory=dict)  # events by type (extract)
    error: str | None = None  # the whole source failed at this stage

    def fields(self) -> dict[str, object]:
        """The structured log fields of the report."""
        fields: dict[str, object] = {
            "event": "ingest_stage",
            "source": self.source_id,
            "stage": self.stage,
            **self.outcomes,
        }
        if self.reasons:
            fields["failure_reasons"] = dict(self.reasons)
        if self.stage == "extract":
            fields["events_by_type"] = dict(self.events)
            fields["events"] = sum(self.events.values())
        if self.error is not None:
            fields["error"] = self.error
        return fields


# Outcome label -> the attribute of the task's outcome that counts it.
FETCH_OUTCOMES = {
    "fetched": "documents",
    "not_modified": "unchanged",
    "deferred": "deferred",
    "failed": "errors",
}
NORMALIZE_OUTCOMES = {
    "accepted": "accepted",
    "duplicate": "duplicates",
    "unchanged": "unchanged",
    "failed": "errors",
}


def _counts(outcome: object, names: Mapping[str, str]) -> dict[str, int]:
    return {label: int(getattr(outcome, attribute)) for label, attribute in names.items()}


def fetch_report(outcome: FetchOutcome) -> StageReport:
    """The fetch task's counts of one source."""
    counts = _counts(outcome, FETCH_OUTCOMES)
    return StageReport(outcome.source_id, "fetch", counts, dict(outcome.reasons))


def normalize_report(outcome: NormalizeOutcome) -> StageReport:
    """The normalize task's counts of one source (failures counted under reason ``normalize``)."""
    reasons = {"normalize": outcome.errors} if outcome.errors else {}
    counts = _counts(outcome, NORMALIZE_OUTCOMES)
    return StageReport(outcome.source_id, "normalize", counts, reasons)


def publish_report(source_id: str, count: int, *, outcome: str = "published") -> StageReport:
    """The publish task's count of one source (``written`` when a pass wrote a file instead)."""
    return StageReport(source_id, "publish", {outcome: count})


def extract_report(source_id: str, events: Mapping[str, int]) -> StageReport:
    """The extract task's counts of one source: events published, by type."""
    return StageReport(source_id, "extract", events=dict(events))


def failed_report(source_id: str, stage: Stage, error: str) -> StageReport:
    """A stage in which the whole source failed."""
    return StageReport(source_id, stage, error=error)


# --- the samples: pure -----------------------------------------------------------------------


def add_report(samples: Samples, report: StageReport, now: float) -> Samples:
    """``samples`` plus the counts of ``report`` (a new dict; counters add, gauges replace)."""
    merged = dict(samples)

    def add(name: str, labels: tuple[str, ...], value: float) -> None:
        merged[(name, labels)] = merged.get((name, labels), 0.0) + value

    source, stage = report.source_id, report.stage
    for outcome, count in report.outcomes.items():
        add(ITEMS, (source, stage, outcome), count)
    for reason, count in report.reasons.items():
        add(FAILURES, (source, stage, reason), count)
    for event_type, count in report.events.items():
        add(EVENTS, (source, event_type), count)
    if report.error is not None:
        add(SOURCE_ERRORS, (source, stage), 1)
    else:
        merged[(LAST_SUCCESS, (source, stage))] = now
    return merged


def parse_samples(text: str) -> Samples:
    """The samples of a textfile this module wrote (families it does not know are dropped)."""
    samples: Samples = {}
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise IngestMetricsError(f"not a Prometheus textfile: {exc}") from exc
    for family in families:
        known = FAMILIES.get(family.name)
        if known is None:
            continue
        kind, _, label_names = known
        wanted = family.name + "_total" if kind == _COUNTER else family.name
        for sample in family.samples:
            if sample.name == wanted:
                labels = tuple(sample.labels.get(name, "") for name in label_names)
                samples[(family.name, labels)] = float(sample.value)
    return samples


class _Samples:
    """A collector that yields fixed samples (no ``_created`` series: the counters outlive us)."""

    def __init__(self, samples: Samples) -> None:
        self._samples = samples

    def collect(self) -> Iterator[Metric]:
        for name, (kind, text, label_names) in FAMILIES.items():
            family: CounterMetricFamily | GaugeMetricFamily
            if kind == _COUNTER:
                family = CounterMetricFamily(name, text, labels=label_names)
            else:
                family = GaugeMetricFamily(name, text, labels=label_names)
            for (sample_name, labels), value in sorted(self._samples.items()):
                if sample_name == name:
                    family.add_metric(list(labels), value)
            if family.samples:
                yield family


def registry_of(samples: Samples) -> CollectorRegistry:
    """A registry exposing ``samples`` (for a textfile or an HTTP endpoint)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Samples(samples))
    return registry


# --- the files: I/O --------------------------------------------------------------------------


def textfile_path(directory: Path, source_id: str) -> Path:
    """The textfile of one source."""
    return directory / f"{FILE_PREFIX}{safe_run_key(source_id)}.prom"


def write_reports(
    directory: Path, reports: Iterable[StageReport], now: float | None = None
) -> list[Path]:
    """Add the reports' counts to their sources' textfiles in ``directory``; returns the files.

    Each file is read, added to and replaced atomically under the directory's lock, so tasks of
    several processes never lose each other's counts.
    """
    moment = time.time() if now is None else now
    by_source: dict[str, list[StageReport]] = {}
    for report in reports:
        by_source.setdefault(report.source_id, []).append(report)
    written: list[Path] = []
    try:
        with directory_lock(directory):
            for source_id, group in by_source.items():
                path = textfile_path(directory, source_id)
                try:
                    samples = parse_samples(path.read_text(encoding="utf-8"))
                except FileNotFoundError:
                    samples = {}
                except IngestMetricsError as exc:
                    # A damaged file restarts its counters (a reset, as Prometheus knows them).
                    log.warning("metrics file %s unreadable, starting again: %s", path, exc)
                    samples = {}
                for report in group:
                    samples = add_report(samples, report, moment)
                # prometheus_client's own atomic write keeps the file readable by a node
                # exporter running as another user (our atomic writers create 0600 files).
                write_to_textfile(str(path), registry_of(samples))
                written.append(path)
    except OSError as exc:
        raise IngestMetricsError(f"cannot write ingest metrics to {directory}: {exc}") from exc
    return written


def log_report(report: StageReport) -> None:
    """The one structured log line of a stage for a source (a warning when the source failed)."""
    counts = ", ".join(f"{name} {value}" for name, value in report.outcomes.items())
    if report.stage == "extract":
        counts += f", events {sum(report.events.values())}"
    message = f"ingest {report.stage} {report.source_id}: " + (
        f"source failed: {report.error}" if report.error is not None else counts
    )
    level = logging.WARNING if report.error is not None else logging.INFO
    log_fields(log, message, report.fields(), level=level)


def report_stages(reports: Iterable[StageReport], settings: MetricsSettings) -> None:
    """Log each report's line and, with a metrics directory, add them to the textfiles.

    A metrics directory that cannot be written is logged, not raised: the counts are in the
    log lines and the ingest work is done and must not be redone for it.
    """
    chosen = list(reports)
    for report in chosen:
        log_report(report)
    directory = settings.metrics_dir
    if directory is None:
        return
    try:
        write_reports(directory, chosen)
    except IngestMetricsError as exc:
        log.error("%s", exc)


@contextmanager
def failing_stage(source_id: str, stage: Stage, settings: MetricsSettings) -> Iterator[None]:
    """Report a stage in which the whole source failed (a :class:`NewswireError`), then re-raise.

    For task bodies: the failed attempt is logged and counted, and the task fails as before.
    """
    try:
        yield
    except NewswireError as exc:
        report_stages([failed_report(source_id, stage, str(exc))], settings)
        raise
