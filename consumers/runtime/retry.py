"""The runtime's retry policy for a sink that pushes back (pure: no clock, no client)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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
