"""The destination worker's scheduling (pure logic: a recording notifier, an in-memory outbox)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

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


class RecordingNotifier(Notifier[WebhookChannel]):
    """Takes ``hold`` seconds per message and records what was in flight at once."""

    options_model = WebhookChannel
    max_in_flight = 4

    def __init__(self, hold: float) -> None:
        super().__init__(
            WebhookChannel(type="webhook", url="http://127.0.0.1:1/"), AlerterSettings()
        )
        self.hold = hold
        self.lock = threading.Lock()
        self.in_flight: set[str] = set()
        self.most_in_flight = 0
        self.overlapping_developments: list[str] = []
        self.started: list[tuple[float, str]] = []

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
            self.started.append((time.monotonic(), idempotency_key))
        time.sleep(self.hold)
        with self.lock:
            self.in_flight.discard(f"{message.development_id}:{idempotency_key}")


class MemoryOutbox(Outbox):
    """Records the changes the worker makes (no Elasticsearch)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def settle_many(
        self, changes: Sequence[tuple[Sequence[str], dict[str, Any]]], known: Any
    ) -> None:
        with self.lock:
            for entry_ids, fields in changes:
                assert fields["status"] == DeliveryStatus.SENT.value
                self.sent.extend(entry_ids)

    def update_many(self, changes: Sequence[tuple[Sequence[str], dict[str, Any]]]) -> None:
        raise AssertionError("no attempt fails here")


def _job(notifier: Notifier[Any], development: int, number: int) -> DeliveryJob:
    notification = sample_notification(SUBSCRIPTION, NOW).model_copy(
        update={"development_id": f"{development:032x}"}
    )
    key = f"{development:016x}{number:016x}"
    return DeliveryJob((f"entry-{key}",), notification, key, notifier)


def _run(notifier: RecordingNotifier, jobs: list[DeliveryJob], rate: float) -> MemoryOutbox:
    outbox = MemoryOutbox()
    settled: list[str] = []
    worker = DestinationWorker(
        notifier.destination,
        rate,
        outbox,
        AlerterSettings(),
        utc_now,
        lambda job, status: settled.append(job.idempotency_key),
        max_in_flight=notifier.max_in_flight,
    )
    worker.start()
    worker.submit_many(jobs)
    deadline = time.monotonic() + 30
    while worker.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.stop(5)
    assert sorted(settled) == sorted(job.idempotency_key for job in jobs)
    return outbox


def test_a_destination_sends_several_messages_at_once_but_never_two_of_one_development() -> None:
    notifier = RecordingNotifier(hold=0.05)
    # Developments 0-5 one message each, development 7 five (a new alert and its updates).
    jobs = [_job(notifier, d, 0) for d in range(6)] + [_job(notifier, 7, n) for n in range(5)]
    outbox = _run(notifier, jobs, rate=10_000)
    assert 1 < notifier.most_in_flight <= notifier.max_in_flight
    assert notifier.overlapping_developments == []
    # The messages of one development went out in the order they were queued.
    order = [key for _, key in notifier.started if key.startswith(f"{7:016x}")]
    assert order == [job.idempotency_key for job in jobs[6:]]
    assert sorted(outbox.sent) == sorted(job.entry_ids[0] for job in jobs)


def test_the_rate_limit_spaces_send_starts_whatever_the_number_in_flight() -> None:
    notifier = RecordingNotifier(hold=0.0)
    jobs = [_job(notifier, d, 0) for d in range(5)]
    _run(notifier, jobs, rate=10)
    starts = sorted(moment for moment, _ in notifier.started)
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.09
