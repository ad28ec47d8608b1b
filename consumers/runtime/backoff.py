"""Exponential backoff with jitter, as a pure function."""

from __future__ import annotations

import random


def backoff_delay(
    attempt: int,
    *,
    initial: float,
    maximum: float,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 for the first retry).

    The ceiling doubles from ``initial`` up to ``maximum``; the delay is drawn uniformly from the
    upper half of it ("equal jitter"), so consumers that failed together do not retry together
    yet every wait still grows.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    ceiling = min(maximum, initial * 2.0 ** min(attempt - 1, 32))
    draw: float = (rng or random).uniform(0.5, 1.0)
    return ceiling * draw
