"""The alerter core: events in, developments updated, alerts recorded in the outbox and queued.

:meth:`Alerter.process` returns once its effects are durable (outbox entries and developments
written to Elasticsearch); sending happens on the dispatcher's workers afterwards. Replaying
events is harmless: an event already folded into its development changes nothing, and outbox
entries have deterministic ids.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from consumers.alerter.developments import (
    Development,
    FoldResult,
    choose_development,
    fold_event,
    free_slot,
    present_candidate_ids,
    start_development,
)
from consumers.alerter.digest import digest_period
from consumers.alerter.dispatch import Clock, Dispatcher, utc_now
from consumers.alerter.errors import AlerterError
from consumers.alerter.feeds import FeedWriter
from consumers.alerter.matching import AlertPlan, matches, plan_alerts
from consumers.alerter.metrics import AlerterMetrics
from consumers.alerter.render import build_notification
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.store import (
    DevelopmentStore,
    Outbox,
    OutboxEntry,
    StoredDevelopment,
    outbox_entry_id,
)
from consumers.alerter.subscriptions import ResolvedSubscription
from schemas.events import Event
from schemas.notifications import DeliveryRecord, DeliveryStatus
from schemas.subscriptions import DigestMode

log = logging.getLogger(__name__)


def channel_label(position: int, channel_type: str) -> str:
    """How the outbox names the ``position``-th channel of a subscription."""
    return f"{channel_type}#{position}"


@dataclass(frozen=True, slots=True)
class ProcessReport:
    """What one call of :meth:`Alerter.process` did."""

    events: int
    applied: int
    developments_created: int
    alerts: tuple[AlertPlan, ...]
    entries_created: int


class Alerter:
    """Folds events into developments and records the alerts they call for."""

    def __init__(
        self,
        subscriptions: Sequence[ResolvedSubscription],
        store: DevelopmentStore,
        outbox: Outbox,
        dispatcher: Dispatcher,
        settings: AlerterSettings,
        *,
        clock: Clock = utc_now,
        metrics: AlerterMetrics | None = None,
        feed: FeedWriter | None = None,
    ) -> None:
        self.subscriptions = tuple(subscriptions)
        self._feed = feed
        self._metrics = metrics
        self._store = store
        self._outbox = outbox
        self._dispatcher = dispatcher
        self._settings = settings
        self._clock = clock

    def _fold(
        self, event: Event, ids: Sequence[str], working: dict[str, Development]
    ) -> FoldResult | None:
        window = self._settings.development_window_days
        candidates = [working[i] for i in ids if i in working]
        chosen = choose_development(
            event, candidates, window_days=window, overlap_min=self._settings.evidence_overlap_min
        )
        now = self._clock()
        if chosen is not None:
            return fold_event(chosen, event, now)
        slot = free_slot(event, working)
        if slot is None:
            # Every slot of the day is taken: join the nearest development rather than drop.
            return fold_event(candidates[0], event, now)
        dev_id, slot_number = slot
        return FoldResult(
            start_development(event, dev_id, slot_number, now),
            applied=True,
            created=True,
            modality_change=None,
        )

    def _entries(self, plan: AlertPlan) -> list[OutboxEntry]:
        notification = build_notification(plan)
        sub = plan.subscription.subscription
        due = None
        if sub.mode is not DigestMode.INSTANT:
            due = digest_period(sub.mode, plan.created_at)[1]
        entries = []
        for position, channel in enumerate(sub.channels):
            label = channel_label(position, channel.type)
            record = DeliveryRecord(
                idempotency_key=notification.idempotency_key,
                subscription_id=sub.id,
                channel=label,
                development_id=notification.development_id,
                development_version=notification.development_version,
                status=DeliveryStatus.PENDING,
            )
            entries.append(
                OutboxEntry(
                    entry_id=outbox_entry_id(notification.idempotency_key, label),
                    record=record,
                    notification=notification,
                    mode=sub.mode.value,
                    created_at=plan.created_at,
                    due_at=due,
                )
            )
        return entries

    def process(self, events: Sequence[Event]) -> ProcessReport:
        """Fold ``events`` into their developments and record (then queue) their alerts.

        Raises :class:`~consumers.alerter.errors.StoreError` (the whole call can be retried)
        when Elasticsearch is unreachable, or :class:`StoreConflictError` when another process
        changed a development meanwhile.
        """
        news = [event for event in events if not event.historical]
        window = self._settings.development_window_days
        # The first slot of each candidate day, then the next slots of the days that have one:
        # new developments (the common case) cost one small mget.
        stored: dict[str, StoredDevelopment] = {}
        wanted: set[str] = set()
        while True:
            ids_of = [present_candidate_ids(event, window, stored.__contains__) for event in news]
            more = {dev_id for ids in ids_of for dev_id in ids} - wanted
            if not more:
                break
            wanted |= more
            stored.update(self._store.get_many(more))
        working = {dev_id: item.development for dev_id, item in stored.items()}
        dirty: set[str] = set()
        plans: list[AlertPlan] = []
        applied = created = 0
        for event in news:
            # Developments this batch created count too: computed against ``working``.
            ids = present_candidate_ids(event, window, working.__contains__)
            result = self._fold(event, ids, working)
            if result is None or not result.applied:
                continue
            applied += 1
            created += int(result.created)
            development, new_plans = plan_alerts(
                self.subscriptions, result.development, event, self._clock()
            )
            working[development.development_id] = development
            dirty.add(development.development_id)
            plans.extend(new_plans)

        entries = [entry for plan in plans for entry in self._entries(plan)]
        # The outbox first: once a development records an alert, the alert must exist.
        was_created = self._outbox.create_pending(entries)
        # Sent only once the developments are written too: when another process changed one of
        # them meanwhile (a conflict, the batch is retried), that process sends these entries,
        # and sending them here as well would deliver them twice.
        self._store.put_many([(working[dev_id], stored.get(dev_id)) for dev_id in sorted(dirty)])
        fresh = [e for e, new in zip(entries, was_created, strict=True) if new]
        existing = [
            e.entry_id
            for e, new in zip(entries, was_created, strict=True)
            if not new and not self._dispatcher.knows(e.entry_id)
        ]
        # Entries left pending by an earlier, interrupted call are sent now, not after a restart.
        still_pending = [
            entry
            for entry in self._outbox.get_many(existing).values()
            if entry.record.status is DeliveryStatus.PENDING
        ]
        self._dispatcher.submit([*fresh, *still_pending])
        if self._feed is not None and dirty:
            self._write_feeds([working[dev_id] for dev_id in sorted(dirty)])
        if self._metrics is not None:
            self._metrics.developments.inc(created)
            for plan in plans:
                self._metrics.alerts.labels(plan.kind.value).inc()
        if plans:
            log.info(
                "alerts recorded",
                extra={
                    "event": "alerts",
                    "alerts": [
                        f"{p.subscription.id}:{p.development.development_id}:{p.kind.value}"
                        for p in plans
                    ],
                },
            )
        return ProcessReport(
            events=len(events),
            applied=applied,
            developments_created=created,
            alerts=tuple(plans),
            entries_created=len(fresh),
        )

    def _write_feeds(self, developments: Sequence[Development]) -> None:
        assert self._feed is not None
        changes = [
            (sub.id, development)
            for development in developments
            for sub in self.subscriptions
            if matches(sub, development)
        ]
        try:
            self._feed.update(changes)
        except AlerterError:
            # A feed is a view: alerts went out, the next change of the feed rewrites it.
            log.exception("cannot write the feeds of %d development(s)", len(developments))

    def flush_digests(self) -> int:
        """Send the digests whose period has ended by the alerter's clock."""
        return self._dispatcher.flush_digests(self._clock())
