"""The destination worker's scheduling (pure logic: a recording notifier, an in-memory outbox)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from consumers.alerter.channels import Notifier
from consumers.alerter.commands import sample_notification
from consumers.alerter.dispatch import DeliveryJob, DestinationWorker, utc_now
from consumers.alerter.render import Message
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.store import Outbox
from schemas.notifications import DeliveryStatus, Notification
from schemas.subscriptions import Subscription, WebhookChannel

SUBSCRIPTION = Subscription.model_validate_json(
    '{"id": "macron-putin", "event_types": ["LEADER_CONTACT"],'
    ' "actors_all": ["Emmanuel Macron", "Vladimir Putin"],'
    ' "channels": [{"type": "webhook", "url": "http://127.0.0.1:1/"}]}'
)
NOW = datetime(2024, 3, 18, tzinfo=UTC)


# Bounds a failure only (a sender waiting for company that never comes): never reached.
GENEROUS_TIMEOUT = 30.0


class RecordingNotifier(Notifier[WebhookChannel]):
    """Records what was in flight at once; the first sends wait until ``gather`` are in flight."""

    options_model = WebhookChannel
    max_in_flight = 4

    def __init__(self, gather: int = 1) -> None:
        super().__init__(
            WebhookChannel(type="webhook", url="http://127.0.0.1:1/"), AlerterSettings()
        )
        self.gather = gather
        self.gathered = threading.Event()
        self.lock = threading.Lock()
        self.in_flight: set[str] = set()
        self.most_in_flight = 0
        self.overlapping_developments: list[str] = []
        self.started: list[str] = []

    @property
    def destination(self) -> str:
        return "recording"

    def send(self, message: Message, idempotency_key: str) -> None:
        assert isinstance(message, Notification)
        with self.lock:
            if message.development_id in {key.split(":")[0] for key in self.in_flight}:
                self.overlapping_developments.append(message.development_id)
            self.in_flight.add(f"{message.development_id}:{idempotency_key}")
            self.most_in_flight = max(self.most_in_flight, len(self.in_flight))
            self.started.append(idempotency_key)
            if len(self.in_flight) >= self.gather:
                self.gathered.set()
        self.gathered.wait(GENEROUS_TIMEOUT)
        with self.lock:
            self.in_flight.discard(f"{message.development_id}:{idempotency_key}")


@dataclass
class FakeTime:
    """The worker's ``monotonic`` and ``sleep``: a sleep records when it would wake.

    Frozen (the default), a sleep returns at once and the clock stays put; with
    ``advance_on_sleep`` (one sender thread only) a sleep moves the clock on.
    """

    now: float = 1000.0
    advance_on_sleep: bool = False
    wakes: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def monotonic(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.wakes.append(self.now + seconds)
            if self.advance_on_sleep:
                self.now += seconds


class MemoryOutbox(Outbox):
    """Records the changes the worker makes (no Elasticsearch): each bulk of sent marks."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.bulks: list[list[str]] = []
        self.lock = threading.Lock()

    def settle_many(
        self, changes: Sequence[tuple[Sequence[str], dict[str, Any]]], known: Any
    ) -> None:
        with self.lock:
            bulk: list[str] = []
            for entry_ids, fields in changes:
                assert fields["status"] == DeliveryStatus.SENT.value
                bulk.extend(entry_ids)
            self.sent.extend(bulk)
            self.bulks.append(bulk)

    def update_many(self, changes: Sequence[tuple[Sequence[str], dict[str, Any]]]) -> None:
        raise AssertionError("no attempt fails here")


def _job(notifier: Notifier[Any], development: int, number: int) -> DeliveryJob:
    notification = sample_notification(SUBSCRIPTION, NOW).model_copy(
        update={"development_id": f"{development:032x}"}
    )
    key = f"{development:016x}{number:016x}"
    return DeliveryJob((f"entry-{key}",), notification, key, notifier)


def _run(
    notifier: RecordingNotifier,
    jobs: list[DeliveryJob],
    rate: float,
    clock: FakeTime,
    *,
    max_in_flight: int | None = None,
    settings: AlerterSettings | None = None,
) -> MemoryOutbox:
    outbox = MemoryOutbox()
    settled: list[str] = []
    worker = DestinationWorker(
        notifier.destination,
        rate,
        outbox,
        settings or AlerterSettings(),
        utc_now,
        lambda job, status: settled.append(job.idempotency_key),
        max_in_flight=max_in_flight or notifier.max_in_flight,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
    worker.start()
    worker.submit_many(jobs)
    deadline = time.monotonic() + GENEROUS_TIMEOUT
    while worker.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop(5)
    assert sorted(settled) == sorted(job.idempotency_key for job in jobs)
    return outbox


def test_a_destination_sends_several_messages_at_once_but_never_two_of_one_development() -> None:
    notifier = RecordingNotifier(gather=RecordingNotifier.max_in_flight)
    # Development 7 first, five messages (a new alert and its updates), then developments 0-5
    # one each: the first sends wait until four are in flight, which only other developments
    # can make up; a worker sending two of development 7 at once would be caught here.
    jobs = [_job(notifier, 7, n) for n in range(5)] + [_job(notifier, d, 0) for d in range(6)]
    outbox = _run(notifier, jobs, rate=10, clock=FakeTime())
    assert notifier.gathered.is_set()
    assert notifier.most_in_flight == notifier.max_in_flight
    assert notifier.overlapping_developments == []
    # The messages of one development went out in the order they were queued.
    order = [key for key in notifier.started if key.startswith(f"{7:016x}")]
    assert order == [job.idempotency_key for job in jobs[:5]]
    assert sorted(outbox.sent) == sorted(job.entry_ids[0] for job in jobs)


def test_the_rate_limit_spaces_send_starts_whatever_the_number_in_flight() -> None:
    notifier = RecordingNotifier()
    clock = FakeTime()
    jobs = [_job(notifier, d, 0) for d in range(5)]
    _run(notifier, jobs, rate=10, clock=clock)
    # Four senders, five messages due at once: the first starts now, each other waits for
    # a slot of its own, 0.1 s after the one before.
    assert sorted(clock.wakes) == pytest.approx([1000.1, 1000.2, 1000.3, 1000.4])
    assert [b - a for a, b in itertools.pairwise([1000.0, *sorted(clock.wakes)])] == (
        pytest.approx([0.1] * 4)
    )


def test_sent_marks_of_a_backlog_are_written_once_the_oldest_waited_long_enough() -> None:
    # One message a second and a backlog: something is always due, so the marks would wait
    # for SENT_MARKS_PER_BULK sends; the oldest waiting a second gets them written.
    notifier = RecordingNotifier()
    clock = FakeTime(advance_on_sleep=True)
    jobs = [_job(notifier, d, 0) for d in range(7)]
    outbox = _run(
        notifier,
        jobs,
        rate=1,
        clock=clock,
        max_in_flight=1,
        settings=AlerterSettings(sent_marks_max_wait_seconds=1.0),
    )
    ids = [job.entry_ids[0] for job in jobs]
    # Sent at 1000, 1001, ...: a bulk once a mark is a second old; the last when idle.
    assert outbox.bulks == [ids[0:2], ids[2:4], ids[4:6], ids[6:7]]
