"""The development store and outbox indices on the real Elasticsearch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from elasticsearch import Elasticsearch

from consumers.alerter.developments import start_development
from consumers.alerter.errors import StoreConflictError
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.store import DevelopmentStore
from schemas.events import Event

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


def test_concurrent_writers_of_one_development_conflict_instead_of_overwriting(
    alerter_settings: AlerterSettings, es_client: Elasticsearch, make_event: Callable[..., Event]
) -> None:
    store = DevelopmentStore(es_client, alerter_settings.developments_index)
    store.setup()
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
