"""Waiting for Kafka and Elasticsearch at start-up, instead of dying when they do not answer yet.

Pure: the clock, the sleep and the jitter are parameters, so the policy is tested with a fake
clock. :func:`is_transient` says which errors are worth waiting out (connection refused or reset,
timeouts, 429/5xx, Kafka's retriable errors) and which are a bad configuration that fails at once
(authentication, authorization, a mapping refused). :func:`wait_for_dependency` runs one set-up
step until it succeeds, the error is not transient, the wait runs out
(:class:`StartupTimeoutError`) or a stop is requested (:class:`StartupAbandoned`).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from elastic_transport import ConnectionError as EsConnectionError
from elastic_transport import ConnectionTimeout, TlsError, TransportError
from elasticsearch import ApiError
from kafka.errors import KafkaError

from consumers.runtime.errors import ConsumerError
from newswire.retry import backoff_delay

T = TypeVar("T")

#: HTTP statuses of a node that is starting, overloaded or behind a proxy that cannot reach it.
TRANSIENT_HTTP_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class StartupTimeoutError(ConsumerError):
    """A dependency did not answer within ``startup_wait_seconds``; the service does not start."""


class StartupAbandoned(ConsumerError):  # noqa: N818 -- a stop request, not a failure
    """A stop was requested while the service was waiting for a dependency."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or an error it was raised from) is worth waiting out at start-up.

    Transient: connections refused or reset, timeouts, HTTP 408/429/5xx, Kafka errors marked
    retriable. Not transient: TLS failures, authentication and authorization errors, refused
    mappings or templates (4xx), anything else (a bug or a bad configuration).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        verdict = _classify(current)
        if verdict is not None:
            return verdict
        current = current.__cause__ or current.__context__
    return False


def _classify(exc: BaseException) -> bool | None:
    """True/False for an error of a client library, None for one that only wraps another."""
    if isinstance(exc, TlsError):
        return False
    if isinstance(exc, EsConnectionError | ConnectionTimeout):
        return True
    if isinstance(exc, ApiError):
        return exc.meta.status in TRANSIENT_HTTP_STATUSES
    if isinstance(exc, TransportError):
        return False  # a serialization or sniffing error: not the network
    if isinstance(exc, KafkaError):
        return bool(getattr(exc, "retriable", False))
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    return None


@dataclass(frozen=True, slots=True)
class StartupWaitPolicy:
    """How long to wait in all, and between attempts (the shared exponential backoff)."""

    deadline_seconds: float
    initial_seconds: float = 0.5
    max_seconds: float = 5.0

    def next_delay(
        self, attempt: int, elapsed: float, jitter: Callable[[], float] = random.random
    ) -> float | None:
        """Seconds to wait after failed attempt ``attempt`` (from 1), or None: the wait is over.

        The delay is cut so that the last attempt is made at the deadline, not after it.
        """
        remaining = self.deadline_seconds - elapsed
        if remaining <= 0:
            return None
        delay = backoff_delay(
            attempt, initial=self.initial_seconds, maximum=self.max_seconds, jitter=jitter
        )
        return min(delay, remaining)


@dataclass(frozen=True, slots=True)
class DependencyWait:
    """One wait before another attempt: what is awaited, which attempt failed, how long."""

    stage: str
    dependency: str
    attempt: int
    delay: float
    elapsed: float
    error: BaseException


def wait_for_dependency(
    step: Callable[[], T],
    *,
    stage: str,
    dependency: str,
    policy: StartupWaitPolicy,
    on_wait: Callable[[DependencyWait], None] = lambda wait: None,
    clock: Callable[[], float],
    sleep: Callable[[float], bool],
    jitter: Callable[[], float] = random.random,
    started: float | None = None,
) -> T:
    """Run ``step`` until it returns, waiting out transient errors up to the policy's deadline.

    ``sleep(seconds)`` waits and returns False when a stop was requested meanwhile (then
    :class:`StartupAbandoned`). A non-transient error propagates at once; a transient one past
    the deadline becomes :class:`StartupTimeoutError` naming the dependency and the last error.
    ``started`` (a ``clock()`` reading) is when the wait began: the service's start, so that
    several steps share one deadline; by default, now.
    """
    if started is None:
        started = clock()
    attempt = 0
    while True:
        try:
            return step()
        except Exception as exc:
            if not is_transient(exc):
                raise
            attempt += 1
            elapsed = clock() - started
            delay = policy.next_delay(attempt, elapsed, jitter)
            if delay is None:
                raise StartupTimeoutError(
                    f"{stage}: {dependency} did not answer within "
                    f"{policy.deadline_seconds:g} s of start-up ({attempt} attempts): {exc}"
                ) from exc
            on_wait(DependencyWait(stage, dependency, attempt, delay, elapsed, exc))
            if not sleep(delay):
                raise StartupAbandoned(f"{stage}: stopped while waiting for {dependency}") from exc


def event_sleep(stop: threading.Event) -> Callable[[float], bool]:
    """A ``sleep`` for :func:`wait_for_dependency` that a stop request cuts short."""

    def sleep(seconds: float) -> bool:
        return not stop.wait(seconds)

    return sleep
