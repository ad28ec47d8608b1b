"""Alerter latency and throughput on the local stack, against a bare HTTP POST baseline.

A local webhook receiver (stdlib, 127.0.0.1) records when each notification arrives. In the same
run:

- baseline: a bare loop of HTTP POSTs (httpx, keep-alive) to the same receiver: per-request
  latency and requests/s, the floor any webhook delivery pays;
- latency: events produced to a fresh Kafka topic one at a time at a steady rate, each a new
  development; the time from just before the produce call to the receiver getting the webhook
  (Kafka, consumer poll, Elasticsearch mget + outbox + developments, delivery worker, HTTP);
- throughput: a burst of events produced at once; alerts/s from the first produce to the last
  webhook received;
- outbox throughput (issue 15's figure): batches of events handed to the alerter as the consumer
  hands them (developments and outbox entries written to Elasticsearch, then delivered by the
  destination's senders with at-least-once bookkeeping and idempotency keys); alerts/s from the
  first batch to the last webhook received, once with the default signature and once with
  Standard Webhooks signing, as a ratio to a bare POST loop's requests/s: as many requests as
  alerts, bodies of the size the alerter sent, measured right before and right after the run
  (their mean). Also printed: the ratio to as many bare loops in parallel as the alerter has
  messages in flight per webhook, a stricter baseline.

The alerter runs in this process (the real runtime, Kafka and Elasticsearch), with its own topic,
consumer group and indices, deleted at the end. Goal: p95 latency <= 1 s.

Run: ``.venv/bin/python benchmarks/bench_alerter.py [--latency-events N] [--rate R] [--burst M]
[--outbox K] [--batch B] [--outbox-only]``
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import yaml
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from pydantic import SecretStr

from consumers.alerter.channels import WebhookNotifier
from consumers.alerter.service import AlerterService, events_topic
from consumers.alerter.settings import AlerterSettings
from newswire.settings import ElasticsearchSettings, KafkaSettings
from newswire.transport.kafka import RecordPublisher
from schemas.base import stable_id
from schemas.events import Event

# The loopback servers of the tests' support plugin (tests/support/newswire_testing).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from newswire_testing.loopback import LoopbackServer
from newswire_testing.owned import owned_alerter_settings


class Receiver:
    """Records the arrival time of each webhook, by the event id in its body.

    A waiter is woken once everything it waits for has arrived, not at each arrival: the
    receiver runs in the alerter's process, and a wake-up (and a scan of the ids) per webhook
    would charge the alerter's run for the bench's own bookkeeping, which the bare POST loop
    does not pay.
    """

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.body_sizes: list[int] = []
        self.lock = threading.Lock()
        self.count = threading.Condition(self.lock)
        self._awaited: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.perf_counter()
                event_id = json.loads(body).get("event", {}).get("event_id", "")
                with receiver.count:
                    if event_id not in receiver.arrivals:
                        receiver.arrivals[event_id] = now
                        receiver.body_sizes.append(len(body))
                    if event_id in receiver._awaited:
                        receiver._awaited.discard(event_id)
                        if not receiver._awaited:
                            receiver.count.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = LoopbackServer(Handler).start()
        self.url = f"{self.server.url}/hook"

    def wait_for(self, event_ids: list[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.count:
            self._awaited = set(event_ids) - self.arrivals.keys()
            while self._awaited:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._awaited = set()
                    return False
                self.count.wait(remaining)
        return True

    def close(self) -> None:
        self.server.stop()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def make_event(run: str, i: int) -> Event:
    """Event ``i``: a contact between Putin and a distinct actor, so a new development each."""
    url = f"https://bench.example/{run}/{i}"
    article_id = stable_id(url)
    evidence = f"Vladimir Putin held a phone call with bench leader {i} on Monday."
    return Event.model_validate_json(
        json.dumps(
            {
                "event_id": stable_id(article_id, "call"),
                "article_id": article_id,
                "type": "LEADER_CONTACT",
                "actors": [
                    {"id": "Q7747", "name": "Vladimir Putin", "country": "RU"},
                    {"id": f"newswire:bench-{run}-{i}", "name": f"Bench Leader {i}"},
                ],
                "modality": "asserted",
                "event_date": "2024-03-18",
                "evidence": evidence,
                "evidence_start": 0,
                "evidence_end": len(evidence),
                "confidence": 0.9,
                "source_id": "bench",
                "article_url": url,
            }
        )
    )


def baseline_body(size: int) -> bytes:
    """A JSON body of ``size`` bytes (the size of the alerter's webhooks in the same run)."""
    empty = json.dumps({"event": {"event_id": "baseline"}, "padding": ""})
    return json.dumps(
        {"event": {"event_id": "baseline"}, "padding": "x" * max(0, size - len(empty))}
    ).encode()


def baseline(
    url: str, requests: int, *, body_size: int = 1220, in_flight: int = 1
) -> tuple[list[float], float]:
    """A bare POST loop (httpx, keep-alive): per-request latencies and requests/s.

    With ``in_flight`` > 1, that many threads loop on one client with as many connections
    (the concurrency the alerter's webhook sender uses).
    """
    body = baseline_body(body_size)
    latencies: list[float] = []
    per_thread = max(1, requests // in_flight)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    with httpx.Client(timeout=5, limits=limits) as client:

        def loop(count: int, record: bool) -> None:
            for _ in range(count):
                t0 = time.perf_counter()
                client.post(url, content=body, headers={"Content-Type": "application/json"})
                if record:
                    latencies.append(time.perf_counter() - t0)

        def run(count: int, record: bool) -> float:
            threads = [
                threading.Thread(target=loop, args=(count, record)) for _ in range(in_flight)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return time.perf_counter() - started

        # Connections opened (and the receiver's threads started) before timing, as the
        # alerter's are by its warm-up.
        run(5, False)
        elapsed = run(per_thread, True)
    return latencies, per_thread * in_flight / elapsed


@dataclass(frozen=True)
class OutboxRun:
    """One outbox run: alerts/s, and the bare POST loops measured around it."""

    rate: float
    body_size: int
    in_flight: int
    bare: float
    bare_range: tuple[float, float]
    bare_parallel: float


def outbox_throughput(
    *,
    receiver_factory: type[Receiver],
    settings: AlerterSettings,
    es_settings: ElasticsearchSettings,
    workdir: Path,
    run: str,
    scheme: str,
    count: int,
    batch: int,
) -> OutboxRun:
    """Alerts/s through the outbox to a loopback webhook, and bare POST loops around it.

    The bare loops post ``count`` bodies of the size the alerter sent, right before and right
    after the alerter's run, to the same receiver (the ratio uses their mean, so a change of
    the machine's load during the run weighs on both sides alike).
    """
    receiver = receiver_factory()
    channel: dict[str, Any] = {"type": "webhook", "url": receiver.url, "max_per_second": 10000}
    if scheme == "standard-webhooks":
        channel.update(secret_env="NEWSWIRE_BENCH_WHSEC", signature="standard-webhooks")
    path = workdir / f"subscriptions-{scheme}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "subscriptions": [
                    {
                        "id": "bench",
                        "event_types": ["LEADER_CONTACT"],
                        "actors_any": ["Vladimir Putin"],
                        "channels": [channel],
                    }
                ]
            }
        )
    )
    service = AlerterService(settings, subscriptions_file=path)
    try:
        alerter = service.open()
        warm = make_event(run + "w", 0)
        alerter.process([warm])
        if not receiver.wait_for([warm.event_id], 60):
            raise SystemExit("the outbox run did not deliver its warm-up event")
        body_size = receiver.body_sizes[-1]
        in_flight = WebhookNotifier.max_in_flight
        before = baseline(receiver.url, count, body_size=body_size)[1]
        before_parallel = baseline(receiver.url, count, body_size=body_size, in_flight=in_flight)[1]
        events = [make_event(run + "o", i) for i in range(count)]
        started = time.perf_counter()
        for first in range(0, count, batch):
            alerter.process(events[first : first + batch])
        if not receiver.wait_for([e.event_id for e in events], 300):
            raise SystemExit("the outbox run was not delivered within 300 s")
        last = max(receiver.arrivals[e.event_id] for e in events)
        rate = count / (last - started)
        after = baseline(receiver.url, count, body_size=body_size)[1]
        after_parallel = baseline(receiver.url, count, body_size=body_size, in_flight=in_flight)[1]
    finally:
        service.close()
        receiver.close()
        client = Elasticsearch(**es_settings.client_options())  # type: ignore[arg-type]
        for index in (settings.developments_index, settings.outbox_index):
            client.options(ignore_status=404).indices.delete(index=index)
        client.close()
    return OutboxRun(
        rate=rate,
        body_size=body_size,
        in_flight=in_flight,
        bare=(before + after) / 2,
        bare_range=(min(before, after), max(before, after)),
        bare_parallel=(before_parallel + after_parallel) / 2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-events", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="events/s in the latency run")
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--outbox", type=int, default=2000, help="alerts in each outbox run")
    parser.add_argument(
        "--batch", type=int, default=500, help="events per alerter call (a Kafka poll: 500)"
    )
    parser.add_argument(
        "--outbox-only", action="store_true", help="only the outbox runs (issue 15's figure)"
    )
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    # The Standard Webhooks run's secret, named by its channel (bench only, not a real secret).
    os.environ.setdefault(
        "NEWSWIRE_BENCH_WHSEC", "whsec_" + base64.b64encode(uuid.uuid4().bytes * 2).decode()
    )
    kafka = KafkaSettings()
    es_settings = ElasticsearchSettings()
    settings = owned_alerter_settings(
        kafka,
        "bench",
        run,
        poll_timeout_seconds=0.1,
        drain_timeout_seconds=30,
        es=es_settings,
        webhook_secret=SecretStr("bench-secret"),  # sign like production does
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-alerter-"))
    kafka_result = (
        None if args.outbox_only else kafka_runs(args, settings, es_settings, workdir, run)
    )
    outbox_rates = {
        scheme: outbox_throughput(
            receiver_factory=Receiver,
            settings=settings.model_copy(
                update={
                    "developments_index": f"{settings.developments_index}-{scheme}",
                    "outbox_index": f"{settings.outbox_index}-{scheme}",
                }
            ),
            es_settings=es_settings,
            workdir=workdir,
            run=f"{run}{scheme[:1]}",
            scheme=scheme,
            count=args.outbox,
            batch=args.batch,
        )
        for scheme in ("newswire", "standard-webhooks")
    }

    if kafka_result is not None:
        base_latencies, base_rate = kafka_result.base_latencies, kafka_result.base_rate
        latencies, alerts_per_s = kafka_result.latencies, kafka_result.burst_rate
        b50, b95 = percentile(base_latencies, 0.5), percentile(base_latencies, 0.95)
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        print(
            f"baseline bare POST: p50 {b50 * 1000:.1f} ms, p95 {b95 * 1000:.1f} ms, {base_rate:.0f} req/s"
        )
        print(
            f"event produced -> webhook received ({len(latencies)} events at {args.rate:g}/s): "
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, mean {statistics.mean(latencies) * 1000:.0f} ms "
            f"(goal p95 <= 1000 ms: {'met' if p95 <= 1.0 else 'NOT met'})"
        )
        print(f"  ratio to a bare POST: p50 x{p50 / b50:.0f}, p95 x{p95 / b95:.0f}")
        print(
            f"burst of {args.burst} events: {alerts_per_s:.0f} alerts/s sustained "
            f"({alerts_per_s / base_rate:.2f} of the bare POST rate)"
        )
    for scheme, result in outbox_rates.items():
        low, high = result.bare_range
        print(
            f"outbox -> webhook ({args.outbox} alerts, batches of {args.batch}, {scheme} "
            f"signature, up to {result.in_flight} in flight): {result.rate:.0f} alerts/s; bare "
            f"POST loop ({result.body_size}-byte bodies, one connection) {result.bare:.0f} req/s "
            f"(before/after {low:.0f}-{high:.0f}): {result.rate / result.bare:.2f}x (goal >= "
            f"0.5x: {'met' if result.rate >= 0.5 * result.bare else 'NOT met'}); against "
            f"{result.in_flight} bare loops in parallel ({result.bare_parallel:.0f} req/s): "
            f"{result.rate / result.bare_parallel:.2f}x"
        )
    load = os.getloadavg()
    print(
        f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)"
    )


@dataclass(frozen=True)
class KafkaRuns:
    """The runs through Kafka: bare POST latencies, event -> webhook latencies, a burst."""

    base_latencies: list[float]
    base_rate: float
    latencies: list[float]
    burst_rate: float


def kafka_runs(
    args: argparse.Namespace,
    settings: AlerterSettings,
    es_settings: ElasticsearchSettings,
    workdir: Path,
    run: str,
) -> KafkaRuns:
    """Latency (events one at a time at a steady rate) and a burst, through the real runtime."""
    kafka = settings.kafka
    receiver = Receiver()
    subscriptions = workdir / "subscriptions.yaml"
    subscriptions.write_text(
        yaml.safe_dump(
            {
                "subscriptions": [
                    {
                        "id": "bench",
                        "event_types": ["LEADER_CONTACT"],
                        "actors_any": ["Vladimir Putin"],
                        "channels": [
                            {"type": "webhook", "url": receiver.url, "max_per_second": 10000}
                        ],
                    }
                ]
            }
        )
    )
    admin = KafkaAdminClient(**kafka.client_options())
    admin.create_topics([NewTopic(settings.topic, 3, 1), NewTopic(settings.topic + ".dlq", 1, 1)])
    admin.close()

    base_latencies, base_rate = baseline(receiver.url, 300)

    service = AlerterService(settings, subscriptions_file=subscriptions)
    exit_codes: list[int] = []
    consumer = threading.Thread(
        target=lambda: exit_codes.append(service.run(None, install_signal_handlers=False)),
        daemon=True,
    )
    consumer.start()
    spec = events_topic(settings)
    try:
        with RecordPublisher(kafka, linger_ms=0) as publisher:
            # Warm up: the group joins and the first batch creates the indices' shards.
            warm = make_event(run + "w", 0)
            publisher.publish(spec, [warm])
            if not receiver.wait_for([warm.event_id], 120):
                raise SystemExit("the alerter did not deliver the warm-up event")

            latencies: list[float] = []
            interval = 1.0 / args.rate
            for i in range(args.latency_events):
                event = make_event(run + "l", i)
                sent_at = time.perf_counter()
                publisher.publish(spec, [event])
                if not receiver.wait_for([event.event_id], 30):
                    raise SystemExit(f"event {i} was not delivered within 30 s")
                latencies.append(receiver.arrivals[event.event_id] - sent_at)
                time.sleep(max(0.0, interval - (time.perf_counter() - sent_at)))

            burst = [make_event(run + "b", i) for i in range(args.burst)]
            started = time.perf_counter()
            publisher.publish(spec, burst)
            if not receiver.wait_for([e.event_id for e in burst], 300):
                raise SystemExit("the burst was not delivered within 300 s")
            last = max(receiver.arrivals[e.event_id] for e in burst)
            alerts_per_s = args.burst / (last - started)
    finally:
        service.stop()
        consumer.join(60)
        receiver.close()
        client = Elasticsearch(**es_settings.client_options())  # type: ignore[arg-type]
        for index in (settings.developments_index, settings.outbox_index):
            client.options(ignore_status=404).indices.delete(index=index)
        client.close()
        admin = KafkaAdminClient(**kafka.client_options())
        admin.delete_topics([settings.topic, settings.topic + ".dlq"])
        admin.close()

    return KafkaRuns(base_latencies, base_rate, latencies, alerts_per_s)


if __name__ == "__main__":
    main()
