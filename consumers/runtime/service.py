"""The skeleton every consumer service shares (the indexer, the alerter).

A service names its topics, opens its handler's resources and closes them; :meth:`run` does the
rest the same way for every service: open the handler, create the topics if missing, build the
:class:`ConsumerRuntime`, run it until stopped or idle, close. At start-up a dependency that does
not answer yet is waited for (:meth:`wait_for`, the policy of :mod:`consumers.runtime.startup`):
logged, shown in ``newswire_consumer_waiting_for_dependency``, bounded by
``startup_wait_seconds``; ``until_idle`` counts from the end of set-up. Callers in another thread (tests,
benchmarks) wait on :attr:`ready` and read :attr:`runtime` or call :meth:`stop`.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar, Generic, TypeVar

from consumers.runtime.loop import ConsumerRuntime, Handler
from consumers.runtime.metrics import ConsumerMetrics
from consumers.runtime.settings import ConsumerSettings
from consumers.runtime.startup import (
    DependencyWait,
    StartupAbandoned,
    StartupWaitPolicy,
    event_sleep,
    wait_for_dependency,
)
from newswire.transport.kafka import ensure_topics
from schemas.base import Contract
from schemas.topics import TopicSpec

RecordT = TypeVar("RecordT", bound=Contract)
T = TypeVar("T")

log = logging.getLogger(__name__)

KAFKA = "kafka"
ELASTICSEARCH = "elasticsearch"


class ConsumerService(ABC, Generic[RecordT]):
    """One consumer process member: its topics, its handler, and the shared run sequence."""

    #: The stage name in logs and metrics before the handler exists (the handler's own name).
    stage: ClassVar[str] = "consumer"

    def __init__(
        self, settings: ConsumerSettings, *, consumer_metrics: ConsumerMetrics | None = None
    ) -> None:
        self.consumer_settings = settings
        self.consumer_metrics = (
            consumer_metrics if consumer_metrics is not None else ConsumerMetrics()
        )
        self.ready = threading.Event()
        self._runtime: ConsumerRuntime[RecordT] | None = None
        self._stop_requested = threading.Event()
        self._startup_started: float | None = None

    @abstractmethod
    def topics(self) -> Sequence[TopicSpec]:
        """The topics the service reads (from the topic catalogue)."""

    @abstractmethod
    def open_handler(self) -> Handler[RecordT]:
        """Open the sink's resources and return the runtime's handler."""

    @abstractmethod
    def close(self) -> None:
        """Close what :meth:`open_handler` opened (safe when it was not opened)."""

    @property
    def runtime(self) -> ConsumerRuntime[RecordT]:
        """The running consumer runtime (once :attr:`ready` is set)."""
        if self._runtime is None:
            raise RuntimeError("the service has not started its runtime yet")
        return self._runtime

    def stop(self) -> None:
        """Ask the service to finish (before or while it runs; safe from other threads)."""
        self._stop_requested.set()
        if self._runtime is not None:
            self._runtime.stop()

    def wait_for(self, dependency: str, step: Callable[[], T]) -> T:
        """Run a set-up ``step`` that needs ``dependency``, waiting while it does not answer.

        Transient errors (see :func:`consumers.runtime.startup.is_transient`) are retried with
        backoff, each wait logged (``event: waiting_for_dependency``) and shown in the
        ``newswire_consumer_waiting_for_dependency`` gauge, until ``startup_wait_seconds`` after
        the start of :meth:`run` (or of this call, outside it); then
        :class:`~consumers.runtime.startup.StartupTimeoutError`. Other errors propagate at once.
        """
        settings = self.consumer_settings
        gauge = self.consumer_metrics.waiting_for_dependency.labels(self.stage, dependency)
        failed = self.consumer_metrics.startup_attempts_failed.labels(self.stage, dependency)

        waited = False

        def on_wait(wait: DependencyWait) -> None:
            nonlocal waited
            waited = True
            gauge.set(1)
            failed.inc()
            log.warning(
                "waiting for %s at start-up",
                dependency,
                extra={
                    "event": "waiting_for_dependency",
                    "stage": wait.stage,
                    "dependency": wait.dependency,
                    "attempt": wait.attempt,
                    "next_try_in_s": round(wait.delay, 2),
                    "waited_s": round(wait.elapsed, 1),
                    "startup_wait_s": settings.startup_wait_seconds,
                    "error": str(wait.error),
                },
            )

        policy = StartupWaitPolicy(
            settings.startup_wait_seconds,
            initial_seconds=settings.retry_initial_backoff_seconds,
            max_seconds=settings.startup_max_backoff_seconds,
        )
        try:
            result = wait_for_dependency(
                step,
                stage=self.stage,
                dependency=dependency,
                policy=policy,
                on_wait=on_wait,
                clock=time.monotonic,
                sleep=event_sleep(self._stop_requested),
                started=self._startup_started,
            )
        finally:
            gauge.set(0)
        if waited:
            log.info(
                "%s answered, start-up goes on",
                dependency,
                extra={"event": "dependency_ready", "stage": self.stage, "dependency": dependency},
            )
        return result

    def run(self, until_idle: float | None = None, *, install_signal_handlers: bool = True) -> int:
        """Run until stopped (SIGTERM/SIGINT, :meth:`stop`) or idle; returns the exit code.

        Set-up (the handler's resources, the topics) waits for Kafka and Elasticsearch up to
        ``startup_wait_seconds`` (a :meth:`stop` meanwhile ends it with 0); ``until_idle``
        counts from the moment set-up finished.
        """
        topics = list(self.topics())
        settings = self.consumer_settings
        self._startup_started = time.monotonic()
        if settings.metrics_port is not None:
            # Served before set-up, so that a service waiting for a dependency says so.
            self.consumer_metrics.serve(settings.metrics_port, settings.metrics_addr)
        try:
            # The handler first: a configuration error (subscriptions, a missing secret) is
            # reported before any broker is contacted.
            try:
                handler = self.open_handler()
                self.wait_for(KAFKA, lambda: ensure_topics(settings.kafka, topics))
            except StartupAbandoned:
                log.info(
                    "stopped while waiting for a dependency",
                    extra={"event": "startup_abandoned", "stage": self.stage},
                )
                return 0
            self._runtime = ConsumerRuntime(
                topics, handler, self.consumer_settings, metrics=self.consumer_metrics
            )
            if self._stop_requested.is_set():
                self._runtime.stop()
            self.ready.set()
            return self._runtime.run(until_idle, install_signal_handlers=install_signal_handlers)
        finally:
            self.close()
