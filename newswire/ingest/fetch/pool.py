"""Concurrency of one ingest pass: a bounded number of requests in flight, one lane per host.

A :class:`FetchPool` is shared by every source of a pass (and by the items of each source):

- at most ``workers`` requests are in flight at once (:meth:`FetchPool.permit`, taken by the
  fetcher around the request itself, not while it waits for a host's rate-limit slot);
- items are run in per-host lanes (at most ``per_host_concurrency`` at a time per host), so a
  slow or dripping host only ever occupies its own lanes and never delays another host;
- the pass and each source have a time budget; an item not started when its budget is spent is
  deferred (handed back through ``on_defer``), as are the remaining items of a host that kept
  missing its request deadline in this pass;
- results come back in the order the items were given, whichever lane finished first, so what
  is published does not depend on timing.

With ``workers == 1`` everything runs in the calling thread, one item after another (today's
sequential behaviour), budgets still applying.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Generic, TypeVar

from newswire.ingest.fetch.settings import FetchSettings

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class PoolTask(Generic[T]):
    """One unit of work: the host it talks to and what to run."""

    host: str
    run: Callable[[], T]


class FetchPool:
    """Pass-wide fetch concurrency and time budgets (see the module docstring)."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        workers: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.workers = workers if workers is not None else self.settings.workers
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        self._clock = clock
        self._permits = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._deadline_misses: dict[str, int] = {}
        self.pass_deadline = clock() + self.settings.pass_budget_seconds

    @property
    def sequential(self) -> bool:
        """Whether everything runs in the calling thread, one item after another."""
        return self.workers == 1

    def permit(self) -> AbstractContextManager[object]:
        """Hold one of the ``workers`` request slots for the duration of a request."""
        if self.sequential:
            return nullcontext()
        return self._permits

    # -- budgets and the per-host deadline breaker ------------------------------------------------

    def source_deadline(self) -> float:
        """The monotonic instant a source started now must stop starting new items."""
        return min(self.pass_deadline, self._clock() + self.settings.source_budget_seconds)

    def budget_left(self, deadline: float) -> bool:
        """Whether there is time left before ``deadline`` (a monotonic instant)."""
        return self._clock() < deadline

    def record_deadline_miss(self, host: str) -> None:
        """Count a request of ``host`` that ended at its deadline in this pass."""
        with self._lock:
            self._deadline_misses[host] = self._deadline_misses.get(host, 0) + 1

    def host_given_up(self, host: str) -> bool:
        """Whether ``host`` missed its deadline often enough that its other items wait a pass."""
        limit = self.settings.host_deadline_misses
        with self._lock:
            return limit > 0 and self._deadline_misses.get(host, 0) >= limit

    def skip_reason(self, host: str, deadline: float) -> str | None:
        """Why an item of ``host`` should not be started now, or None to start it."""
        if not self.budget_left(self.pass_deadline):
            return f"pass time budget ({self.settings.pass_budget_seconds:g}s) spent"
        if not self.budget_left(deadline):
            return f"source time budget ({self.settings.source_budget_seconds:g}s) spent"
        if self.host_given_up(host):
            return (
                f"{host} missed its request deadline {self.settings.host_deadline_misses} time(s)"
            )
        return None

    # -- running ----------------------------------------------------------------------------------

    def run_ordered(
        self,
        tasks: Sequence[PoolTask[T]],
        *,
        deadline: float,
        on_defer: Callable[[int, str], T],
    ) -> Iterator[T]:
        """Run ``tasks`` in per-host lanes; yield their results in the order given.

        A task not started because of :meth:`skip_reason` yields ``on_defer(index, reason)``.
        """
        if self.sequential or len(tasks) <= 1:
            for index, task in enumerate(tasks):
                reason = self.skip_reason(task.host, deadline)
                yield on_defer(index, reason) if reason is not None else task.run()
            return
        lanes: dict[str, deque[int]] = {}
        for index, task in enumerate(tasks):
            lanes.setdefault(task.host, deque()).append(index)
        results: dict[int, T] = {}
        failures: dict[int, BaseException] = {}
        done = threading.Condition()

        def lane(queue: deque[int]) -> None:
            while True:
                with done:
                    if not queue:
                        return
                    index = queue.popleft()
                task = tasks[index]
                try:
                    reason = self.skip_reason(task.host, deadline)
                    value = on_defer(index, reason) if reason is not None else task.run()
                except BaseException as exc:  # handed to the consumer, raised there
                    with done:
                        failures[index] = exc
                        done.notify_all()
                    continue
                with done:
                    results[index] = value
                    done.notify_all()

        per_host = self.settings.per_host_concurrency
        lane_queues = [queue for queue in lanes.values() for _ in range(min(per_host, len(queue)))]
        with ThreadPoolExecutor(
            max_workers=len(lane_queues), thread_name_prefix="newswire-fetch"
        ) as executor:
            for queue in lane_queues:
                executor.submit(lane, queue)
            for index in range(len(tasks)):
                with done:
                    done.wait_for(lambda i=index: i in results or i in failures)  # type: ignore[misc]
                    if index in failures:
                        for queue in lanes.values():
                            queue.clear()
                        raise failures[index]
                    value = results.pop(index)
                yield value

    def map_sources(self, work: Callable[[str], R], source_ids: Sequence[str]) -> list[R]:
        """``work`` over every source, concurrently unless sequential; results in given order.

        The source threads mostly wait (for feeds and for their items' lanes); what bounds the
        network is the ``workers`` request slots.
        """
        if self.sequential or len(source_ids) <= 1:
            return [work(source_id) for source_id in source_ids]
        threads = min(len(source_ids), self.workers * 4)
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="newswire-source") as ex:
            return list(ex.map(work, source_ids))
