"""The dispatcher's bookkeeping of queued entries (pure logic: in-memory outbox and notifier)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from consumers.alerter.channels import Notifier
from consumers.alerter.commands import sample_notification
from consumers.alerter.dispatch import Dispatcher
from consumers.alerter.errors import StoreError
from consumers.alerter.render import Message
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.store import Outbox, OutboxEntry
from schemas.notifications import DeliveryRecord, DeliveryStatus
from schemas.subscriptions import DigestMode, Subscription, WebhookChannel

SUBSCRIPTION = Subscription.model_validate_json(
    '{"id": "macron-putin", "event_types": ["LEADER_CONTACT"],'
    ' "actors_all": ["Emmanuel Macron", "Vladimir Putin"],'
    ' "channels": [{"type": "webhook", "url": "http://127.0.0.1:1/"}]}'
)
NOW = datetime(2024, 3, 18, tzinfo=UTC)
LIVE, REMOVED = "live", "removed"
DRAIN_TIMEOUT = 30.0  # bounds a failure only


class SendingNotifier(Notifier[WebhookChannel]):
    """Records the idempotency keys it sent."""

    options_model = WebhookChannel

    def __init__(self) -> None:
        super().__init__(
            WebhookChannel(type="webhook", url="http://127.0.0.1:1/", max_per_second=1000),
            AlerterSettings(),
        )
        self.sent: list[str] = []
        self.lock = threading.Lock()

    @property
    def destination(self) -> str:
        return "sending"

    def send(self, message: Message, idempotency_key: str) -> None:
        with self.lock:
            self.sent.append(idempotency_key)


class FlakyOutbox(Outbox):
    """Entries' statuses in memory; the first update of ``flaky`` raises, as if unreachable."""

    def __init__(self, entries: Sequence[OutboxEntry], flaky: str) -> None:
        self.entries = {entry.entry_id: entry for entry in entries}
        self.status = {entry.entry_id: DeliveryStatus.PENDING for entry in entries}
        self.flaky = flaky
        self.failed_once = False
        self.lock = threading.Lock()

    def update_many(self, changes: Sequence[tuple[Sequence[str], dict[str, Any]]]) -> None:
        with self.lock:
            for entry_ids, fields in changes:
                if self.flaky in entry_ids and not self.failed_once:
                    self.failed_once = True
                    raise StoreError("outbox: cannot update deliveries: timed out")
                for entry_id in entry_ids:
                    if "status" in fields:
                        self.status[entry_id] = DeliveryStatus(fields["status"])

    def settle_many(
        self, changes: Sequence[tuple[Sequence[str], dict[str, Any]]], known: Any
    ) -> None:
        self.update_many(changes)

    def search(self, **filters: Any) -> list[OutboxEntry]:
        assert filters == {"status": DeliveryStatus.PENDING}
        with self.lock:
            return [self.entries[i] for i, s in self.status.items() if s is DeliveryStatus.PENDING]


def _entry(subscription_id: str, number: int) -> OutboxEntry:
    key = f"{number:032x}"
    notification = sample_notification(SUBSCRIPTION, NOW).model_copy(
        update={"idempotency_key": key, "development_id": key, "subscription_id": subscription_id}
    )
    record = DeliveryRecord(
        idempotency_key=key,
        subscription_id=subscription_id,
        channel="0-webhook",
        development_id=key,
        development_version=1,
        status=DeliveryStatus.PENDING,
    )
    return OutboxEntry(f"entry-{number}", record, notification, DigestMode.INSTANT.value, NOW)


@pytest.mark.parametrize("retry", ["process", "recover"])
def test_an_entry_the_outbox_cannot_fail_is_retried_and_the_others_are_delivered_once(
    retry: str,
) -> None:
    # Entry 2's subscription was removed: failing it needs the outbox, which times out once.
    batch = [_entry(LIVE, 0), _entry(LIVE, 1), _entry(REMOVED, 2), _entry(LIVE, 3)]
    orphan = batch[2].entry_id
    outbox = FlakyOutbox(batch, flaky=orphan)
    notifier = SendingNotifier()
    dispatcher = Dispatcher(
        outbox,
        AlerterSettings(),
        lambda subscription_id, channel: notifier if subscription_id == LIVE else None,
    )
    try:
        with pytest.raises(StoreError, match="timed out"):
            if retry == "process":
                dispatcher.submit(batch)
            else:
                dispatcher.recover()
        assert dispatcher.drain(DRAIN_TIMEOUT)
        # The entries before and after the failing one went out; that one is not known.
        assert sorted(notifier.sent) == sorted(batch[i].record.idempotency_key for i in (0, 1, 3))
        assert [dispatcher.knows(entry.entry_id) for entry in batch] == [True, True, False, True]
        assert outbox.status[orphan] is DeliveryStatus.PENDING

        # Both retry paths: the batch again (only what the dispatcher does not know, as
        # Alerter.process does) or start-up recovery (wait_for runs recover again).
        if retry == "process":
            dispatcher.submit([e for e in batch if not dispatcher.knows(e.entry_id)])
        else:
            dispatcher.recover()
        assert dispatcher.drain(DRAIN_TIMEOUT)
        assert outbox.status[orphan] is DeliveryStatus.FAILED
        assert dispatcher.knows(orphan)
        assert sorted(notifier.sent) == sorted(batch[i].record.idempotency_key for i in (0, 1, 3))
        assert [outbox.status[e.entry_id] for e in batch] == [
            DeliveryStatus.SENT,
            DeliveryStatus.SENT,
            DeliveryStatus.FAILED,
            DeliveryStatus.SENT,
        ]
    finally:
        dispatcher.stop(5)
