"""The development store and outbox indices on the real Elasticsearch."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from elasticsearch import Elasticsearch

from consumers.alerter.developments import start_development
from consumers.alerter.errors import StoreConflictError
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.store import DevelopmentStore, Outbox, OutboxEntry, outbox_entry_id
from schemas.events import Event
from schemas.notifications import DeliveryRecord, DeliveryStatus, Notification, NotificationKind

pytestmark = pytest.mark.integration

NOW = datetime(2024, 3, 18, 12, tzinfo=UTC)


def test_the_store_index_has_a_strict_explicit_mapping(
    alerter_settings: AlerterSettings, es_client: Elasticsearch
) -> None:
    store = DevelopmentStore(es_client, alerter_settings.developments_index)
    store.setup()
    store.setup()  # idempotent
    mapping = es_client.indices.get_mapping(index=store.index)[store.index]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["development_id"] == {"type": "keyword"}


@pytest.fixture
def store(alerter_settings: AlerterSettings, es_client: Elasticsearch) -> DevelopmentStore:
    store = DevelopmentStore(es_client, alerter_settings.developments_index)
    store.setup()
    return store


def test_concurrent_writers_of_one_development_conflict_instead_of_overwriting(
    store: DevelopmentStore, make_event: Callable[..., Event]
) -> None:
    founder = start_development(make_event("call_held", "lemonde"), "d" * 32, 0, NOW)
    store.put_many([(founder, None)])
    with pytest.raises(StoreConflictError):
        store.put(founder, None)  # a second process founding the same development

    read_by_a = store.get_many([founder.development_id])[founder.development_id]
    read_by_b = store.get_many([founder.development_id])[founder.development_id]
    bumped = founder.model_copy(update={"version": 2})
    store.put(bumped, read_by_a)
    with pytest.raises(StoreConflictError, match="changed concurrently"):
        store.put_many([(founder.model_copy(update={"version": 3}), read_by_b)])
    assert store.get(founder.development_id) == bumped


def test_a_bulk_write_names_exactly_the_developments_that_conflicted(
    store: DevelopmentStore, make_event: Callable[..., Event]
) -> None:
    taken = start_development(make_event("call_held", "lemonde"), "a" * 32, 0, NOW)
    changed = start_development(make_event("call_held", "lemonde"), "b" * 32, 0, NOW)
    store.put_many([(taken, None), (changed, None)])
    stale = store.get_many([changed.development_id])[changed.development_id]
    store.put(changed.model_copy(update={"version": 2}), stale)
    fresh = start_development(make_event("call_held", "lemonde"), "c" * 32, 0, NOW)
    # Founding one that exists and rewriting one changed meanwhile conflict; the new one is
    # written all the same. The ids come from the bulk items, not from the error reasons.
    with pytest.raises(StoreConflictError) as raised:
        store.put_many(
            [(taken, None), (fresh, None), (changed.model_copy(update={"version": 3}), stale)]
        )
    named = str(raised.value).rpartition("changed concurrently: ")[2]
    assert named.split(", ") == [taken.development_id, changed.development_id]
    assert store.get(fresh.development_id) == fresh


def _entry(event: Event, key: str) -> OutboxEntry:
    notification = Notification(
        idempotency_key=key,
        subscription_id="sub",
        development_id="d" * 32,
        development_version=1,
        kind=NotificationKind.NEW,
        changes=(),
        headline="Leader contact: É. Macron and V. Putin (happened)",
        event=event,
        source_count=1,
        source_urls=(event.article_url,) if event.article_url else (),
        created_at=NOW,
    )
    record = DeliveryRecord(
        idempotency_key=key,
        subscription_id="sub",
        channel="webhook#0",
        development_id="d" * 32,
        development_version=1,
        status=DeliveryStatus.PENDING,
    )
    return OutboxEntry(
        entry_id=outbox_entry_id(key, "webhook#0"),
        record=record,
        notification=notification,
        mode="instant",
        created_at=NOW,
    )


SENT = {
    "status": DeliveryStatus.SENT.value,
    "attempts": 1,
    "first_attempt_at": NOW.isoformat(),
    "last_attempt_at": NOW.isoformat(),
    "sent_at": NOW.isoformat(),
}


def test_an_outbox_entry_is_stored_as_its_document_says_and_reads_back_equal(
    alerter_settings: AlerterSettings, es_client: Elasticsearch, make_event: Callable[..., Event]
) -> None:
    outbox = Outbox(es_client, alerter_settings.outbox_index)
    outbox.setup()
    entry = _entry(make_event("call_held", "lemonde"), "a" * 32)
    assert json.loads(entry.document_json()) == json.loads(json.dumps(entry.document()))
    assert outbox.create_pending([entry]) == [True]
    assert outbox.create_pending([entry]) == [False]  # there already: not created twice
    assert outbox.get(entry.entry_id) == entry


def test_a_sent_mark_rewrites_the_entry_it_created_and_keeps_a_change_made_meanwhile(
    alerter_settings: AlerterSettings, es_client: Elasticsearch, make_event: Callable[..., Event]
) -> None:
    outbox = Outbox(es_client, alerter_settings.outbox_index)
    outbox.setup()
    other_process = Outbox(es_client, alerter_settings.outbox_index)
    event = make_event("call_held", "lemonde")
    untouched, changed, unknown = (_entry(event, c * 32) for c in "bce")
    assert outbox.create_pending([untouched, changed, unknown]) == [True, True, True]
    # Another process records a failed attempt on one entry after this one created it.
    other_process.update([changed.entry_id], {"attempts": 1, "last_error": "HTTP 503"})

    known = {e.entry_id: e for e in (untouched, changed)}  # ``unknown``: a partial update
    outbox.settle_many(
        [([untouched.entry_id], SENT), ([changed.entry_id], SENT), ([unknown.entry_id], SENT)],
        known,
    )
    for entry in (untouched, changed, unknown):
        stored = outbox.get(entry.entry_id)
        assert stored is not None
        assert stored.record.status is DeliveryStatus.SENT
        assert stored.record.sent_at == NOW
        assert stored.notification == entry.notification
    changed_now = outbox.get(changed.entry_id)
    assert changed_now is not None
    # The rewrite was refused (the entry had changed): the partial update kept the error.
    assert changed_now.record.last_error == "HTTP 503"
    with pytest.raises(ValueError, match="not delivery-record fields"):
        untouched.document_json({"notification": {}})
