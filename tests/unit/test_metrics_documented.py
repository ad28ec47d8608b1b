"""Every metric a newswire process exports is named in the README's "Metrics and logs"."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from consumers.alerter.metrics import AlerterMetrics
from consumers.runtime.metrics import ConsumerMetrics
from newswire.ingest.metrics import FAMILIES

README = Path(__file__).resolve().parents[2] / "README.md"


def _exposed_names(registry: CollectorRegistry) -> set[str]:
    return {
        family.name + "_total" if family.type == "counter" else family.name
        for family in registry.collect()
    }


def test_every_metric_name_is_documented() -> None:
    registry = CollectorRegistry()
    ConsumerMetrics(registry)
    AlerterMetrics(registry)
    names = _exposed_names(registry) | {
        name + "_total" if kind == "counter" else name for name, (kind, _, _) in FAMILIES.items()
    }
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Metrics and logs") :]
    assert {"newswire_consumer_lag", "newswire_alerter_alerts_total"} <= names
    assert "newswire_ingest_items_total" in names
    assert sorted(name for name in names if f"`{name}`" not in section) == []
