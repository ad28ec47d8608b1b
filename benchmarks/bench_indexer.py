"""Indexer throughput against a raw ``helpers.streaming_bulk`` of the same documents, same run.

Usage: ``python benchmarks/bench_indexer.py [EVENTS]`` with the local stack up (``make bench``).
Prints events/s of both paths and their ratio (goal: indexer >= 0.8x raw), then the p50/p95
latency from produce to searchable. Everything lives in topics and indices of its own, removed
at the end.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import streaming_bulk
from kafka import KafkaAdminClient

from consumers.indexer import IndexerSettings, bulk_action
from consumers.indexer.service import IndexerService
from consumers.runtime import ConsumerError, ConsumerRuntime
from newswire.settings import ElasticsearchSettings, KafkaSettings
from newswire.transport.kafka import RecordPublisher, ensure_topics
from schemas.base import Contract, stable_id
from schemas.events import Event
from schemas.indices import EVENTS_INDEX

# The owned settings of the tests' support plugin (tests/support/newswire_testing).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from newswire_testing.owned import owned_indexer_settings

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "events" / "events.jsonl"
LATENCY_SAMPLES = 40
ROUNDS = 3


def make_events(count: int, tag: str) -> list[Event]:
    base = [Event.model_validate_json(line) for line in FIXTURE.read_text().splitlines() if line]
    return [
        base[i % len(base)].model_copy(update={"event_id": stable_id("bench", tag, str(i))})
        for i in range(count)
    ]


def raw_bulk_seconds(es: Elasticsearch, alias: str, events: list[Event]) -> float:
    spec = dataclasses.replace(EVENTS_INDEX, alias=alias)
    es.indices.put_index_template(name=spec.template_name, **spec.template_body())
    started = time.perf_counter()
    for ok, item in streaming_bulk(
        es, (bulk_action(spec, e) for e in events), chunk_size=500, raise_on_error=True
    ):
        assert ok, item
    return time.perf_counter() - started


def done_count(runtime: ConsumerRuntime[Contract], topic: str) -> float:
    return runtime.metrics.value(
        "newswire_consumer_records_done_total", {"stage": "indexer", "topic": topic}
    )


def consumed_count(runtime: ConsumerRuntime[Contract], topic: str) -> float:
    return runtime.metrics.value(
        "newswire_consumer_records_consumed_total", {"stage": "indexer", "topic": topic}
    )


def start_indexer(settings: IndexerSettings) -> tuple[ConsumerRuntime[Contract], threading.Thread]:
    """An indexer running in a thread until its runtime is stopped; its runtime and thread."""
    service = IndexerService(settings)
    worker = threading.Thread(
        target=service.run, args=(None,), kwargs={"install_signal_handlers": False}, daemon=True
    )
    worker.start()
    service.ready.wait(60)
    return service.runtime, worker


def indexer_seconds(settings: IndexerSettings, count: int) -> float:
    """Seconds from the first record consumed to the last one indexed, for ``count`` records."""
    runtime, worker = start_indexer(settings)
    topic = settings.events_topic
    while consumed_count(runtime, topic) == 0:
        time.sleep(0.002)
    first = time.perf_counter()
    while done_count(runtime, topic) < count:
        time.sleep(0.002)
    elapsed = time.perf_counter() - first
    runtime.stop()
    worker.join(60)
    return elapsed


def runtime_has_assignment(runtime: ConsumerRuntime[Contract]) -> bool:
    try:
        return bool(runtime.assignment())
    except ConsumerError:  # the consumer is not open yet
        return False


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    tag = uuid.uuid4().hex[:8]
    kafka = KafkaSettings()
    es_settings = ElasticsearchSettings()
    options: dict[str, Any] = dict(es_settings.client_options())
    es = Elasticsearch(**options)
    settings = owned_indexer_settings(kafka, es_settings, "bench", tag, poll_timeout_seconds=0.1)
    raw_alias = f"bench-{tag}-raw-news-events"
    topics = list(settings.topic_specs())
    ensure_topics(kafka, topics)
    try:
        # Warm Elasticsearch up (JIT, index creation paths) so neither measured path pays for it.
        raw_bulk_seconds(es, f"bench-{tag}-warmup-news-events", make_events(1000, tag + "-warm"))
        # The machine is shared: alternate the two paths over a few rounds, compare the medians.
        raw_runs: list[float] = []
        indexer_runs: list[float] = []
        for round_number in range(ROUNDS):
            events = make_events(count, f"{tag}-{round_number}")
            with RecordPublisher(kafka) as publisher:
                publisher.publish(topics[1], events)
            raw_runs.append(raw_bulk_seconds(es, raw_alias, events))
            indexer_runs.append(indexer_seconds(settings, count))

        runtime, worker = start_indexer(settings)
        while not runtime_has_assignment(runtime):
            time.sleep(0.05)

        latencies: list[float] = []
        probes = make_events(LATENCY_SAMPLES, tag + "-latency")
        with RecordPublisher(kafka, linger_ms=0) as publisher:
            for probe in probes:
                sent = time.perf_counter()
                publisher.publish(topics[1], [probe])
                while True:
                    found = es.search(
                        index=settings.events_alias,
                        query={"term": {"event_id": probe.event_id}},
                        size=0,
                    )
                    if found["hits"]["total"]["value"]:
                        break
                    time.sleep(0.01)
                latencies.append(time.perf_counter() - sent)
        runtime.stop()
        worker.join(60)

        raw_s = statistics.median(raw_runs)
        indexer_s = statistics.median(indexer_runs)
        raw_rate = count / raw_s
        indexer_rate = count / indexer_s
        summary = {
            "events": count,
            "raw_streaming_bulk_events_per_s": round(raw_rate, 1),
            "indexer_events_per_s": round(indexer_rate, 1),
            "ratio_indexer_to_raw": round(indexer_rate / raw_rate, 3),
            "goal_ratio": 0.8,
            "produce_to_searchable_p50_s": round(statistics.median(latencies), 3),
            "produce_to_searchable_p95_s": round(percentile(latencies, 0.95), 3),
            "latency_samples": len(latencies),
            "rounds": ROUNDS,
            "raw_seconds": [round(x, 3) for x in raw_runs],
            "indexer_seconds": [round(x, 3) for x in indexer_runs],
        }
        print(f"raw streaming_bulk: {raw_rate:,.0f} events/s (median {raw_s:.2f} s for {count})")
        print(f"indexer:            {indexer_rate:,.0f} events/s (median {indexer_s:.2f} s)")
        print(f"ratio indexer/raw:  {indexer_rate / raw_rate:.2f}x (goal >= 0.8x)")
        print(
            f"produce->searchable: p50 {summary['produce_to_searchable_p50_s']} s, "
            f"p95 {summary['produce_to_searchable_p95_s']} s ({len(latencies)} samples)"
        )
        print(json.dumps(summary))
        return 0
    finally:
        admin = KafkaAdminClient(**kafka.client_options())
        try:
            admin.delete_topics([n for t in topics for n in (t.name, t.dlq)], timeout_ms=30_000)
        finally:
            admin.close()
        created = es.indices.get(index=f"bench-{tag}-*", expand_wildcards="all")
        if created:
            es.indices.delete(index=",".join(created))
        for name in (
            f"bench-{tag}-warmup-news-events-v1",
            f"{raw_alias}-v1",
            f"{settings.events_alias}-v1",
            f"{settings.articles_alias}-v1",
        ):
            es.options(ignore_status=404).indices.delete_index_template(name=name)
        es.close()


if __name__ == "__main__":
    raise SystemExit(main())
