"""Clocks the tests hand to code that reads time, so that budgets and deadlines are exact;
:func:`wait_for`, the one way a test waits for something another thread does."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime


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


class ManualClock:
    """A wall clock the test moves by hand (``clock.now += timedelta(hours=3)``)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
