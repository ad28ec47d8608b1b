"""Clocks the tests hand to code that reads time, so that budgets and deadlines are exact."""

from __future__ import annotations


class SteppingClock:
    """A monotonic clock that advances one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now
