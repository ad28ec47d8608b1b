"""Start-up waits: an indexer started while Elasticsearch does not answer waits, then runs.

The real indexer entry point runs in a child process pointed at the fault proxy of
``conftest.py`` in front of the real Elasticsearch, refusing every connection at first (as a
node that is not up yet). The test reads the child's metrics endpoint to see it waiting, then
lets the proxy forward; a second test never does, and the wait runs out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from prometheus_client.parser import text_string_to_metric_families

from consumers.indexer import IndexerSettings
from newswire.stack.processes import free_port
from schemas.events import Event

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _sample(port: int, name: str, labels: dict[str, str]) -> float | None:
    """One sample of the child's metrics endpoint, or None when it does not answer (yet)."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2.0).text
    except httpx.HTTPError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


def _wait_until(check: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"never saw: {what}"
        time.sleep(0.2)


def test_indexer_started_before_elasticsearch_answers_waits_then_indexes_and_idles_out(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    fault_proxy: Any,
    published_events: Callable[[int], list[Event]],
    kit: Any,
    tmp_path: Path,
) -> None:
    events = published_events(3)
    fault_proxy.refuse = True
    metrics_port = free_port()
    log_path = tmp_path / "indexer.log"
    labels = {"stage": "indexer", "dependency": "elasticsearch"}
    child = kit.start_indexer_process(
        kit.pointed_at(indexer_settings, fault_proxy.url),
        log_path,
        2.0,
        NEWSWIRE_INDEXER_METRICS_PORT=str(metrics_port),
    )
    try:
        # Waiting, and saying so in its metrics, for longer than --until-idle: the idle time
        # must count from the end of set-up, not from the start of the process.
        _wait_until(
            lambda: (
                _sample(metrics_port, "newswire_consumer_waiting_for_dependency", labels) == 1.0
            ),
            "the waiting gauge at 1",
        )
        _wait_until(
            lambda: (
                (
                    _sample(metrics_port, "newswire_consumer_startup_attempts_failed_total", labels)
                    or 0.0
                )
                >= 4
            ),
            "four failed start-up attempts",
        )
        assert child.poll() is None, "the indexer exited instead of waiting"
        fault_proxy.refuse = False
        assert child.wait(timeout=90) == 0
    finally:
        fault_proxy.refuse = False
        if child.poll() is None:
            child.kill()
            child.wait()
    waits = kit.log_events(log_path, "waiting_for_dependency")
    assert len(waits) >= 4
    assert {w["dependency"] for w in waits} == {"elasticsearch"}
    assert [w["attempt"] for w in waits[:4]] == [1, 2, 3, 4]
    assert all(w["next_try_in_s"] > 0 for w in waits)
    assert kit.log_events(log_path, "dependency_ready")
    assert kit.log_events(log_path, "idle_exit")
    assert sorted(kit.document_ids(es_client, indexer_settings.events_alias)) == sorted(
        e.event_id for e in events
    )
    # The indexed lines name the events and their articles (to follow an article with grep).
    indexed = kit.log_events(log_path, "indexed")
    assert sorted(i for line in indexed for i in line["event_ids"]) == sorted(
        e.event_id for e in events
    )
    assert {i for line in indexed for i in line["article_ids"]} == {e.article_id for e in events}


def test_indexer_gives_up_with_a_clear_error_when_the_start_up_wait_runs_out(
    indexer_settings: IndexerSettings,
    fault_proxy: Any,
    kit: Any,
    tmp_path: Path,
) -> None:
    fault_proxy.refuse = True
    log_path = tmp_path / "indexer.log"
    child = kit.start_indexer_process(
        kit.pointed_at(indexer_settings, fault_proxy.url),
        log_path,
        2.0,
        NEWSWIRE_INDEXER_STARTUP_WAIT_SECONDS="3",
    )
    try:
        assert child.wait(timeout=90) == 1
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert kit.log_events(log_path, "waiting_for_dependency")
    (fatal,) = kit.log_events(log_path, "fatal")
    assert "elasticsearch did not answer within 3 s of start-up" in fatal["error"]
    assert not kit.log_events(log_path, "started"), "the consumer joined Kafka anyway"
