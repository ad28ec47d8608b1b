"""Fixture events indexed once per module into an alias of their own (removed afterwards)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk
from newswire_testing.fixtures import fixture_events

from consumers.indexer import bulk_action
from schemas.events import Event
from schemas.indices import EVENTS_INDEX, IndexSpec


@pytest.fixture(scope="module")
def indexed_fixture_events(es_client: Elasticsearch) -> Iterator[tuple[IndexSpec, list[Event]]]:
    """The fixture events, searchable through ``test-<suffix>-news-events``."""
    spec = dataclasses.replace(EVENTS_INDEX, alias=f"test-{uuid.uuid4().hex[:10]}-news-events")
    events = fixture_events()
    es_client.indices.put_index_template(name=spec.template_name, **spec.template_body())
    bulk(es_client, [bulk_action(spec, event) for event in events], refresh="wait_for")
    try:
        yield spec, events
    finally:
        created = es_client.indices.get(index=f"{spec.alias}-*", expand_wildcards="all")
        if created:
            es_client.indices.delete(index=",".join(created))
        es_client.indices.delete_index_template(name=spec.template_name)
