"""The skeleton every consumer service shares (the indexer, the alerter).

A service names its topics, opens its handler's resources and closes them; :meth:`run` does the
rest the same way for every service: open the handler, create the topics if missing, build the
:class:`ConsumerRuntime`, run it until stopped or idle, close. Callers in another thread (tests,
benchmarks) wait on :attr:`ready` and read :attr:`runtime` or call :meth:`stop`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Generic, TypeVar

from consumers.runtime.loop import ConsumerRuntime, Handler
from consumers.runtime.metrics import ConsumerMetrics
from consumers.runtime.settings import ConsumerSettings
from newswire.transport.kafka import ensure_topics
from schemas.base import Contract
from schemas.topics import TopicSpec

RecordT = TypeVar("RecordT", bound=Contract)


class ConsumerService(ABC, Generic[RecordT]):
    """One consumer process member: its topics, its handler, and the shared run sequence."""

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

    def run(self, until_idle: float | None = None, *, install_signal_handlers: bool = True) -> int:
        """Run until stopped (SIGTERM/SIGINT, :meth:`stop`) or idle; returns the exit code."""
        topics = list(self.topics())
        try:
            # The handler first: a configuration error (subscriptions, a missing secret) is
            # reported before any broker is contacted.
            handler = self.open_handler()
            ensure_topics(self.consumer_settings.kafka, topics)
            self._runtime = ConsumerRuntime(
                topics, handler, self.consumer_settings, metrics=self.consumer_metrics
            )
            if self._stop_requested.is_set():
                self._runtime.stop()
            self.ready.set()
            return self._runtime.run(until_idle, install_signal_handlers=install_signal_handlers)
        finally:
            self.close()
