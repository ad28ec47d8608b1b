"""Delivery: one worker thread per destination, retries with backoff, outbox bookkeeping.

Each destination (a webhook URL, a Slack webhook, an SMTP server and its recipients) has its own
queue and worker, so a failing or slow channel never delays another channel or subscriber.
Within a worker, a message waiting for its next retry does not hold up the messages behind it:
the queue is ordered by due time. The outbox entry is pending before a message is sent and
marked sent after, so a crash in between repeats the message once, with the same idempotency key.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from consumers.alerter.channels import Notifier, PermanentDeliveryError
from consumers.alerter.digest import DigestBuffer, DigestKey, digest_period
from consumers.alerter.errors import DeliveryError, StoreError
from consumers.alerter.metrics import AlerterMetrics
from consumers.alerter.render import DigestMessage, Message
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.store import Outbox, OutboxEntry
from newswire.logs import bound
from newswire.retry import backoff_ceiling
from schemas.notifications import DeliveryStatus
from schemas.subscriptions import DigestMode

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def message_ids(message: Message) -> dict[str, str]:
    """The ids a delivery's log lines carry (comma-separated for a digest)."""
    notes = message.notifications if isinstance(message, DigestMessage) else (message,)
    return {
        "development_id": ",".join(n.development_id for n in notes),
        "event_id": ",".join(n.event.event_id for n in notes),
        "article_id": ",".join(n.event.article_id for n in notes),
    }


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def retry_delay(attempts: int, initial: float, maximum: float) -> float:
    """Backoff after ``attempts`` failed attempts: initial, 2x, 4x ... capped.

    No jitter: the outbox stores when each entry is due, and one worker per destination retries.
    """
    return backoff_ceiling(attempts, initial=initial, maximum=maximum)


@dataclass(slots=True)
class DeliveryJob:
    """One message to send through one notifier, and the outbox entries it settles."""

    entry_ids: tuple[str, ...]
    message: Message
    idempotency_key: str
    notifier: Notifier[Any]
    attempts: int = 0
    first_attempt_at: datetime | None = None
    #: The outbox entries as created, when known: a sent mark can then rewrite them whole.
    entries: tuple[OutboxEntry, ...] = ()

    @property
    def order_key(self) -> str | None:
        """Messages with the same key are never in flight together (a development's alerts)."""
        message = self.message
        return None if isinstance(message, DigestMessage) else message.development_id


@dataclass(order=True, slots=True)
class _Scheduled:
    due: float
    seq: int
    job: DeliveryJob = field(compare=False)


# Sent marks are written in bulk once this many piled up, once the oldest waited
# ``sent_marks_max_wait_seconds``, or when nothing is due.
SENT_MARKS_PER_BULK = 500


class DestinationWorker:
    """Sends the jobs of one destination in due order, at most ``max_per_second``.

    Up to ``max_in_flight`` sender threads share the destination's queue: send starts are
    spaced by the rate limit whatever their number, and two messages about one development are
    never in flight together (they arrive in the order they were queued, retries aside).

    ``monotonic`` and ``sleep`` (seconds) time the queue and the rate limit; tests pass their
    own to check the slots reserved without waiting for them (a wait for a retry that is not
    due yet stays a real-time wait on the queue).
    """

    def __init__(
        self,
        destination: str,
        max_per_second: float,
        outbox: Outbox,
        settings: AlerterSettings,
        clock: Clock,
        on_settled: Callable[[DeliveryJob, DeliveryStatus], None],
        *,
        max_in_flight: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.destination = destination
        self._interval = 1.0 / max_per_second
        self._outbox = outbox
        self._settings = settings
        self._clock = clock
        self._on_settled = on_settled
        self._monotonic = monotonic
        self._sleep = sleep
        self._heap: list[_Scheduled] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = 0
        self._in_flight_keys: set[str] = set()
        self._unrecorded: list[tuple[DeliveryJob, datetime]] = []
        # When the oldest mark in ``_unrecorded`` was made (``monotonic`` seconds).
        self._oldest_unrecorded = 0.0
        self._recording = 0
        # Sent marks are written by a thread of their own: a bulk request to the outbox never
        # holds up the next send (their order among themselves is kept: one thread).
        self._recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record sent")
        self._next_slot = 0.0
        self._running = max_in_flight
        self._threads = [
            threading.Thread(
                target=self._run, name=f"deliver {destination[:40]} #{number}", daemon=True
            )
            for number in range(max_in_flight)
        ]

    def start(self) -> None:
        """Start the sender threads."""
        for thread in self._threads:
            thread.start()

    def submit(self, job: DeliveryJob, delay: float = 0.0) -> None:
        """Queue a job, due after ``delay`` seconds."""
        with self._cond:
            heapq.heappush(self._heap, _Scheduled(self._monotonic() + delay, next(self._seq), job))
            self._cond.notify()

    def submit_many(self, jobs: Sequence[DeliveryJob]) -> None:
        """Queue jobs due now, in this order."""
        if not jobs:
            return
        with self._cond:
            now = self._monotonic()
            for job in jobs:
                heapq.heappush(self._heap, _Scheduled(now, next(self._seq), job))
            self._cond.notify(len(jobs))

    def pending(self) -> int:
        """Jobs queued, being sent, or sent but not yet recorded."""
        with self._cond:
            return len(self._heap) + self._busy + len(self._unrecorded) + self._recording

    def stop(self, timeout: float) -> None:
        """Stop after the current attempts (queued jobs stay pending in the outbox)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _take(self, now: float) -> DeliveryJob | None:
        """The first due job whose development has nothing in flight (lock held)."""
        skipped: list[_Scheduled] = []
        taken: DeliveryJob | None = None
        while self._heap and self._heap[0].due <= now:
            scheduled = heapq.heappop(self._heap)
            key = scheduled.job.order_key
            if key is not None and key in self._in_flight_keys:
                skipped.append(scheduled)
                continue
            taken = scheduled.job
            if key is not None:
                self._in_flight_keys.add(key)
            break
        for scheduled in skipped:
            heapq.heappush(self._heap, scheduled)
        return taken

    def _next_job(self) -> tuple[DeliveryJob, float] | None:
        """The next job and when it may start (the rate limit's slot), or None when stopping."""
        with self._cond:
            while not self._stopping:
                now = self._monotonic()
                job = self._take(now) if self._heap else None
                if job is not None:
                    self._busy += 1
                    slot = max(now, self._next_slot)
                    self._next_slot = slot + self._interval
                    return job, slot
                # Nothing due, or every due job waits for one about its development in flight
                # (whose end notifies): sleep until the next job not yet due, if any.
                later = [s.due for s in self._heap if s.due > now] if self._heap else []
                if later:
                    self._cond.wait(min(later) - now)
                else:
                    self._cond.wait()
            return None

    def _flush_due(self) -> bool:
        with self._cond:
            if not self._unrecorded:
                return False
            if len(self._unrecorded) >= SENT_MARKS_PER_BULK:
                return True
            now = self._monotonic()
            # With a backlog on a rate-limited destination something is always due: the age
            # bounds how many messages a crash repeats.
            if now - self._oldest_unrecorded >= self._settings.sent_marks_max_wait_seconds:
                return True
            return not (self._heap and self._heap[0].due <= now)

    def _run(self) -> None:
        while True:
            # Sent marks are written in bulk when the queue has nothing due (or many piled
            # up, or the oldest waited long enough): a crash before that repeats those
            # messages once, with the same keys.
            if self._flush_due():
                self._flush_sent()
            taken = self._next_job()
            if taken is None:
                break
            job, slot = taken
            try:
                wait = slot - self._monotonic()
                if wait > 0:
                    self._sleep(wait)
                self._attempt(job)
            except Exception:
                # A bug or the outbox unreachable: the entry stays pending in the outbox and is
                # sent again after a restart; the worker goes on with the other jobs.
                log.exception("delivery worker %s failed on %s", self.destination, job.entry_ids)
            finally:
                with self._cond:
                    self._busy -= 1
                    key = job.order_key
                    if key is not None:
                        self._in_flight_keys.discard(key)
                        self._cond.notify()
        with self._cond:
            self._running -= 1
            last = self._running == 0
        if last:
            self._flush_sent()
            self._recorder.shutdown(wait=True)

    def _attempt(self, job: DeliveryJob) -> None:
        with bound(**message_ids(job.message)):
            self._attempt_bound(job)

    def _attempt_bound(self, job: DeliveryJob) -> None:
        now = self._clock()
        job.attempts += 1
        if job.first_attempt_at is None:
            job.first_attempt_at = now
        try:
            job.notifier.send(job.message, job.idempotency_key)
        except PermanentDeliveryError as exc:
            self._settle_failed(job, now, str(exc))
            return
        except DeliveryError as exc:
            age = (now - job.first_attempt_at).total_seconds()
            if age >= self._settings.give_up_after_seconds:
                self._settle_failed(job, now, f"gave up after {age:.1f}s: {exc}")
                return
            delay = retry_delay(
                job.attempts, self._settings.retry_initial_seconds, self._settings.retry_max_seconds
            )
            log.warning(
                "delivery to %s failed (attempt %d), retrying in %.2fs: %s",
                self.destination,
                job.attempts,
                delay,
                exc,
            )
            # Requeue first: an outbox hiccup must not cost the retry.
            self.submit(job, delay)
            try:
                self._outbox.update(
                    job.entry_ids,
                    {
                        "attempts": job.attempts,
                        "last_error": str(exc)[:1000],
                        "first_attempt_at": job.first_attempt_at.isoformat(),
                        "last_attempt_at": now.isoformat(),
                    },
                )
            except StoreError:
                log.exception("cannot record the failed attempt on %s", job.entry_ids)
            return
        log.info(
            "notification sent to %s",
            self.destination,
            extra={"event": "delivered", "attempts": job.attempts},
        )
        self._record_sent(job, now)

    def _record_sent(self, job: DeliveryJob, now: datetime) -> None:
        with self._cond:
            if not self._unrecorded:
                self._oldest_unrecorded = self._monotonic()
            self._unrecorded.append((job, now))

    def _flush_sent(self) -> None:
        with self._cond:
            batch, self._unrecorded = self._unrecorded, []
            self._recording += len(batch)
        if batch:
            self._recorder.submit(self._record_batch, batch)

    def _record_batch(self, batch: list[tuple[DeliveryJob, datetime]]) -> None:
        try:
            self._write_sent(batch)
        except Exception:
            log.exception("recording %d sent deliveries failed", len(batch))
        finally:
            with self._cond:
                self._recording -= len(batch)

    def _write_sent(self, batch: list[tuple[DeliveryJob, datetime]]) -> None:
        changes = [
            (
                job.entry_ids,
                {
                    "status": DeliveryStatus.SENT.value,
                    "attempts": job.attempts,
                    "first_attempt_at": job.first_attempt_at.isoformat()
                    if job.first_attempt_at
                    else None,
                    "last_attempt_at": now.isoformat(),
                    "sent_at": now.isoformat(),
                },
            )
            for job, now in batch
        ]
        known = {entry.entry_id: entry for job, _ in batch for entry in job.entries}
        for attempt in range(3):
            try:
                self._outbox.settle_many(changes, known)
                break
            except StoreError:
                if attempt == 2:
                    # Left pending: a restart sends these once more with the same keys.
                    log.exception("cannot record %d sent deliveries", len(changes))
                    return
                time.sleep(0.5 * (attempt + 1))
        for job, _ in batch:
            self._on_settled(job, DeliveryStatus.SENT)

    def _settle_failed(self, job: DeliveryJob, now: datetime, error: str) -> None:
        log.error("delivery to %s failed for good: %s", self.destination, error)
        self._outbox.update(
            job.entry_ids,
            {
                "status": DeliveryStatus.FAILED.value,
                "attempts": job.attempts,
                "last_error": error[:1000],
                "first_attempt_at": job.first_attempt_at.isoformat()
                if job.first_attempt_at
                else None,
                "last_attempt_at": now.isoformat(),
            },
        )
        self._on_settled(job, DeliveryStatus.FAILED)


NotifierLookup = Callable[[str, str], Notifier[Any] | None]


class Dispatcher:
    """Routes outbox entries to destination workers, holding digest entries until due."""

    def __init__(
        self,
        outbox: Outbox,
        settings: AlerterSettings,
        notifier_for: NotifierLookup,
        *,
        clock: Clock = utc_now,
        on_settled: Callable[[DeliveryJob, DeliveryStatus], None] | None = None,
        metrics: AlerterMetrics | None = None,
    ) -> None:
        self._outbox = outbox
        self._settings = settings
        self._notifier_for = notifier_for
        self._clock = clock
        self._on_settled_hook = on_settled
        self._metrics = metrics
        self._workers: dict[str, DestinationWorker] = {}
        self._digests = DigestBuffer()
        self._digest_entries: dict[str, OutboxEntry] = {}
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def knows(self, entry_id: str) -> bool:
        """Whether this process already queued (or settled) the entry."""
        with self._lock:
            return entry_id in self._known

    def _worker(self, notifier: Notifier[Any]) -> DestinationWorker:
        with self._lock:
            worker = self._workers.get(notifier.destination)
            if worker is None:
                worker = DestinationWorker(
                    notifier.destination,
                    notifier.max_per_second,
                    self._outbox,
                    self._settings,
                    self._clock,
                    self._settled,
                    max_in_flight=notifier.max_in_flight,
                )
                self._workers[notifier.destination] = worker
                worker.start()
            return worker

    def _settled(self, job: DeliveryJob, status: DeliveryStatus) -> None:
        if self._metrics is not None:
            channel_type = str(getattr(job.notifier.options, "type", "unknown"))
            if status is DeliveryStatus.SENT:
                message = job.message
                created = (
                    message.period_end if isinstance(message, DigestMessage) else message.created_at
                )
                self._metrics.delivered(channel_type, created, self._clock())
            else:
                self._metrics.deliveries.labels(channel_type, status.value).inc()
        if self._on_settled_hook is not None:
            self._on_settled_hook(job, status)

    def submit(self, entries: Sequence[OutboxEntry]) -> None:
        """Send instant entries now; hold digest entries until the end of their period.

        An entry counts as known (:meth:`knows`) once it is handed to its worker, held for its
        digest or recorded as failed. When routing one entry raises (the outbox unreachable,
        say), the others still go on, that entry stays unknown (so the caller's retry or the
        next recovery queues it again) and the first such error is raised at the end.
        """
        queued: dict[str, tuple[DestinationWorker, list[DeliveryJob]]] = {}
        failures: list[tuple[str, Exception]] = []
        try:
            for entry in entries:
                with self._lock:
                    if entry.entry_id in self._known:
                        continue
                    # Claimed before routing, so that a concurrent call skips the entry.
                    self._known.add(entry.entry_id)
                try:
                    self._route(entry, queued)
                except BaseException as exc:
                    with self._lock:
                        self._known.discard(entry.entry_id)
                    if not isinstance(exc, Exception):
                        raise
                    failures.append((entry.entry_id, exc))
        finally:
            # The jobs routed so far are handed over whatever happened: they are known, so
            # no retry would queue them again. One lock round per destination and batch.
            for worker, jobs in queued.values():
                worker.submit_many(jobs)
        if failures:
            for entry_id, error in failures:
                log.warning("cannot queue outbox entry %s (left for a retry): %s", entry_id, error)
            raise failures[0][1]

    def _route(
        self,
        entry: OutboxEntry,
        queued: dict[str, tuple[DestinationWorker, list[DeliveryJob]]],
    ) -> None:
        """Add an instant entry's job to ``queued``, hold a digest entry, or fail an orphan."""
        record = entry.record
        notifier = self._notifier_for(record.subscription_id, record.channel)
        if notifier is None:
            self._outbox.update(
                [entry.entry_id],
                {
                    "status": DeliveryStatus.FAILED.value,
                    "last_error": "subscription or channel no longer configured",
                },
            )
            return
        if entry.mode == DigestMode.INSTANT.value or entry.due_at is None:
            job = DeliveryJob(
                (entry.entry_id,),
                entry.notification,
                record.idempotency_key,
                notifier,
                attempts=record.attempts,
                first_attempt_at=record.first_attempt_at,
                entries=(entry,),
            )
            if notifier.destination not in queued:
                queued[notifier.destination] = (self._worker(notifier), [])
            queued[notifier.destination][1].append(job)
        else:
            with self._lock:
                key = DigestKey(record.subscription_id, record.channel, entry.due_at)
                self._digests.add(key, entry.entry_id)
                self._digest_entries[entry.entry_id] = entry

    def flush_digests(self, now: datetime | None = None) -> int:
        """Send every digest whose period has ended; returns how many digests were queued."""
        moment = now if now is not None else self._clock()
        with self._lock:
            due = self._digests.pop_due(moment)
            groups = [(key, [self._digest_entries.pop(i) for i in ids]) for key, ids in due]
        for key, entries in groups:
            first = entries[0]
            notifier = self._notifier_for(key.subscription_id, key.channel)
            if notifier is None:
                continue
            mode = DigestMode(first.mode)
            start, end = digest_period(mode, key.period_end - timedelta(microseconds=1))
            message = DigestMessage(
                subscription_id=key.subscription_id,
                channel=key.channel,
                period_start=start,
                period_end=end,
                notifications=tuple(entry.notification for entry in entries),
            )
            job = DeliveryJob(
                tuple(entry.entry_id for entry in entries),
                message,
                message.idempotency_key,
                notifier,
                attempts=max(entry.record.attempts for entry in entries),
                entries=tuple(entries),
            )
            self._worker(notifier).submit(job)
        return len(groups)

    def recover(self) -> int:
        """Queue every entry still pending in the outbox (after a restart); returns how many."""
        pending = self._outbox.search(status=DeliveryStatus.PENDING)
        self.submit(pending)
        return len(pending)

    def in_flight(self) -> int:
        """Jobs queued or being sent (digests waiting for their period not included)."""
        with self._lock:
            workers = list(self._workers.values())
        return sum(worker.pending() for worker in workers)

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is queued or being sent; False when ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        while self.in_flight():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every worker (what is queued stays pending in the outbox)."""
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.stop(timeout)
