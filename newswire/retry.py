"""Exponential backoff with jitter, as pure functions (consumers, delivery and fetching share it)."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_ceiling(attempt: int, *, initial: float, maximum: float) -> float:
    """The cap of the wait before retry number ``attempt``: initial, 2x, 4x ... up to ``maximum``.

    ``attempt`` counts from 1; 0 (no failure yet) is treated as 1.
    """
    return float(min(maximum, initial * 2.0 ** min(max(attempt, 1) - 1, 32)))


def backoff_delay(
    attempt: int,
    *,
    initial: float,
    maximum: float,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry).

    The ceiling doubles from ``initial`` up to ``maximum``; the delay is drawn uniformly from the
    upper half of it ("equal jitter": ``jitter()`` in [0, 1) picks the point), so clients that
    failed together do not retry together yet every wait still grows.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    ceiling = backoff_ceiling(attempt, initial=initial, maximum=maximum)
    return ceiling / 2 + jitter() * ceiling / 2
