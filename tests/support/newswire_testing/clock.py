"""Clocks the tests hand to code that reads time, so that budgets and deadlines are exact."""

from __future__ import annotations


class SteppingClock:
    """A monotonic clock that advances one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


class FakeTime:
    """A clock that only moves when the code under test sleeps; records every sleep.

    ``sleep`` returns True (not interrupted), as a stop-aware sleep does when it ran its course.
    """

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.now += seconds
        return True
