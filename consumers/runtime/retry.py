"""The runtime's retry policy and state machine for a sink that pushes back.

Pure: no clock and no client. :class:`RetryPolicy` says how long to wait and when to give up;
:func:`handle_until_settled` drives the handler through push-backs, with the waiting (and the
pausing of partitions it involves) left to the caller.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from consumers.runtime.batch import check_outcomes
from consumers.runtime.errors import ConsumerError, RetryableError
from consumers.runtime.records import Outcome
from newswire.retry import backoff_delay


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to wait before each retry of the unsettled records, and when to give up."""

    initial_seconds: float
    max_seconds: float
    max_attempts: int | None = None

    def gives_up(self, attempt: int) -> bool:
        """Whether retry number ``attempt`` (from 1) is one too many."""
        return self.max_attempts is not None and attempt > self.max_attempts

    def delay(self, attempt: int, jitter: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``attempt``: exponential, with equal jitter."""
        return backoff_delay(
            attempt, initial=self.initial_seconds, maximum=self.max_seconds, jitter=jitter
        )


def settle(
    pending: list[int], settled: Mapping[int, Outcome], results: dict[int, Outcome]
) -> list[int]:
    """Record the outcomes a push-back settled; return the record indices still pending.

    ``pending`` holds indices into the batch; ``settled`` is keyed by position in ``pending``
    (the handler saw only the pending records).
    """
    for position, outcome in settled.items():
        results[pending[position]] = outcome
    return [index for position, index in enumerate(pending) if position not in settled]


@dataclass(frozen=True, slots=True)
class RetryWait:
    """One wait before a retry: which attempt, how long, what is still pending and why."""

    attempt: int
    delay: float
    pending: tuple[int, ...]
    error: RetryableError


def handle_until_settled(
    handle: Callable[[list[int]], Sequence[Outcome]],
    records: int,
    policy: RetryPolicy,
    *,
    wait: Callable[[RetryWait], bool],
    stage: str,
    first_error: RetryableError | None = None,
    jitter: Callable[[], float] = random.random,
) -> list[Outcome] | None:
    """The retry state machine: call ``handle`` until each of ``records`` has an outcome.

    ``handle`` gets the batch indices still pending and answers one outcome for each, or raises
    :class:`RetryableError` (whose ``settled`` outcomes are kept). Before each retry ``wait`` is
    called with what is pending; it waits (the runtime keeps polling with partitions paused) and
    returns False when a stop request abandons the batch, then this returns None. Past
    ``policy.max_attempts`` retries it raises :class:`ConsumerError`. ``first_error`` is the
    push-back of a call already made (in the background).
    """
    results: dict[int, Outcome] = {}
    pending = list(range(records))
    attempt = 0
    error = first_error
    while pending:
        if error is None:
            try:
                outcomes = handle(pending)
            except RetryableError as exc:
                error = exc
            else:
                check_outcomes(stage, outcomes, len(pending))
                results.update(zip(pending, outcomes, strict=True))
                break
        pending = settle(pending, error.settled, results)
        if not pending:
            break
        attempt += 1
        if policy.gives_up(attempt):
            raise ConsumerError(
                f"{stage}: giving up after {attempt - 1} retries: {error}"
            ) from error
        if not wait(RetryWait(attempt, policy.delay(attempt, jitter), tuple(pending), error)):
            return None
        error = None
    return [results[i] for i in range(records)]
