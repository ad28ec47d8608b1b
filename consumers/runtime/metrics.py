"""Prometheus metrics of a consumer, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ConsumerMetrics:
    """Counters, a latency histogram and lag gauges, labelled by stage (and topic).

    - ``newswire_consumer_records_consumed_total{stage,topic}``: messages read (valid or not)
    - ``newswire_consumer_records_done_total{stage,topic}``: records whose effect is durable
      (for the indexer: indexed)
    - ``newswire_consumer_records_dead_lettered_total{stage,topic,reason}``: reason ``invalid``
      (poison message) or ``rejected`` (the handler said so)
    - ``newswire_consumer_batch_retries_total{stage}``: retries after the sink pushed back
    - ``newswire_consumer_batch_seconds{stage}``: from poll to commit
    - ``newswire_consumer_lag{stage,topic,partition}``: high watermark minus position
    - ``newswire_consumer_waiting_for_dependency{stage,dependency}``: 1 while the service waits
      at start-up for ``kafka`` or ``elasticsearch`` to answer, 0 once it answered
    - ``newswire_consumer_startup_attempts_failed_total{stage,dependency}``: set-up attempts
      that met a transient error
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.consumed = Counter(
            "newswire_consumer_records_consumed",
            "Messages read from Kafka, valid or not.",
            ["stage", "topic"],
            registry=self.registry,
        )
        self.done = Counter(
            "newswire_consumer_records_done",
            "Records handled with a durable effect (the indexer: indexed).",
            ["stage", "topic"],
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "newswire_consumer_records_dead_lettered",
            "Records sent to the dead-letter topic.",
            ["stage", "topic", "reason"],
            registry=self.registry,
        )
        self.retries = Counter(
            "newswire_consumer_batch_retries",
            "Batch retries after the sink pushed back.",
            ["stage"],
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "newswire_consumer_batch_seconds",
            "Seconds from poll to commit of one batch.",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.lag = Gauge(
            "newswire_consumer_lag",
            "Messages behind the high watermark, per partition.",
            ["stage", "topic", "partition"],
            registry=self.registry,
        )
        self.waiting_for_dependency = Gauge(
            "newswire_consumer_waiting_for_dependency",
            "1 while the service waits at start-up for a dependency to answer.",
            ["stage", "dependency"],
            registry=self.registry,
        )
        self.startup_attempts_failed = Counter(
            "newswire_consumer_startup_attempts_failed",
            "Start-up set-up attempts that met a transient error (then waited and retried).",
            ["stage", "dependency"],
            registry=self.registry,
        )
        self._served = False

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        """Expose the registry over HTTP on ``addr:port`` (a daemon thread; once)."""
        if self._served:
            return
        start_http_server(port, addr=addr, registry=self.registry)
        self._served = True

    def value(self, name: str, labels: dict[str, str]) -> float:
        """The current value of a sample (for tests, benchmarks and status output)."""
        found = self.registry.get_sample_value(name, labels)
        return float(found) if found is not None else 0.0
