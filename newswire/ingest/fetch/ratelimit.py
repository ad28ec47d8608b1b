"""A per-host rate limit shared by threads and processes: a lock file and a timestamp per host.

Each request reserves the next free slot for its host under an exclusive ``flock`` and sleeps
until that slot outside the lock, so parallel Airflow tasks (separate processes) and threads
space their requests to one host by ``1 / rate`` seconds without holding the lock while waiting.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from newswire.errors import NewswireError


class RateLimitError(NewswireError):
    """The rate-limit files cannot be used."""


def _host_file_stem(host: str) -> str:
    safe = re.sub(r"[^a-z0-9.-]", "_", host.lower())[:80]
    digest = hashlib.sha256(host.lower().encode()).hexdigest()[:8]
    return f"{safe}-{digest}"


class HostRateLimiter:
    """Reserve request slots per host in ``directory``."""

    def __init__(
        self,
        directory: Path,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.directory = directory
        self._clock = clock
        self._sleep = sleep

    def _update(self, host: str, compute: Callable[[float, float], tuple[float, float]]) -> float:
        """Under the host's lock: read the stored next-slot time, store a new one, return a slot.

        ``compute(now, stored_next)`` returns ``(slot, new_next)``.
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{_host_file_stem(host)}.slot"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RateLimitError(f"cannot open rate-limit file for {host}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0).decode("ascii", "ignore").strip()
            try:
                stored = float(raw) if raw else 0.0
            except ValueError:
                stored = 0.0
            slot, new_next = compute(self._clock(), stored)
            data = f"{new_next:.6f}".encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        except OSError as exc:
            raise RateLimitError(f"cannot update rate-limit file for {host}: {exc}") from exc
        finally:
            os.close(fd)  # closing the descriptor releases the flock
        return slot

    def reserve(self, host: str, rate_per_second: float) -> float:
        """Reserve this host's next free slot (a time) without waiting for it."""
        interval = 1.0 / rate_per_second

        def take(now: float, stored: float) -> tuple[float, float]:
            slot = max(now, stored)
            return slot, slot + interval

        return self._update(host, take)

    def acquire(self, host: str, rate_per_second: float) -> float:
        """Wait for this host's next slot; return the seconds waited."""
        slot = self.reserve(host, rate_per_second)
        wait = slot - self._clock()
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0

    def defer(self, host: str, until: float) -> None:
        """Push the host's next slot to at least ``until`` (e.g. after a ``Retry-After``)."""

        def push(now: float, stored: float) -> tuple[float, float]:
            later = max(stored, until)
            return later, later

        self._update(host, push)
