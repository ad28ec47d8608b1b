"""Index templates on the real local Elasticsearch: strict mappings, aliases, deterministic ids."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
from elasticsearch import ApiError, Elasticsearch

from schemas.base import stable_id
from schemas.events import Event
from schemas.indices import EVENTS_INDEX, INDICES, IndexSpec

pytestmark = pytest.mark.integration


def make_event(n: int, *, month: str, version: int = 1, evidence: str | None = None) -> Event:
    article_id = stable_id(f"https://example.org/{n}")
    return Event.model_validate_json(
        json.dumps(
            {
                "event_id": stable_id(article_id, "LEADER_CONTACT"),
                "article_id": article_id,
                "article_version": version,
                "type": "LEADER_CONTACT",
                "actors": [
                    {"id": "Q3052772", "name": "Emmanuel Macron", "country": "FR"},
                    {"id": "Q7747", "name": "Vladimir Putin", "country": "RU"},
                ],
                "modality": "asserted",
                "evidence": evidence or f"Macron and Putin held a phone call (report {n}).",
                "evidence_start": 0,
                "evidence_end": 20,
                "confidence": 0.9,
                "first_seen_at": f"{month}-15T12:00:00Z",
            }
        )
    )


@pytest.fixture
def events_spec(es_client: Elasticsearch, unique_suffix: str) -> Iterator[IndexSpec]:
    """The real events template under a test-owned alias, so tests never share documents."""
    spec = dataclasses.replace(EVENTS_INDEX, alias=f"test-{unique_suffix}-events")
    es_client.indices.put_index_template(name=spec.template_name, **spec.template_body())
    try:
        yield spec
    finally:
        # The node refuses wildcard deletes (action.destructive_requires_name): name them.
        names = list(es_client.indices.get(index=spec.index_pattern, allow_no_indices=True))
        if names:
            es_client.indices.delete(index=",".join(names))
        es_client.indices.delete_index_template(name=spec.template_name)


def index(es: Elasticsearch, spec: IndexSpec, event: Event) -> None:
    es.index(
        index=spec.index_for(event),
        id=spec.doc_id(event),
        document=json.loads(event.model_dump_json()),
        version=spec.version_of(event),
        version_type="external_gte",
        refresh="wait_for",
    )


@pytest.mark.parametrize("alias", sorted(INDICES))
def test_stack_up_installed_the_catalogue_templates(es_client: Elasticsearch, alias: str) -> None:
    spec = INDICES[alias]
    found = es_client.indices.get_index_template(name=spec.template_name)["index_templates"]
    template = found[0]["index_template"]
    assert template["index_patterns"] == [spec.index_pattern]
    assert template["version"] == spec.template_body()["version"]
    assert template["template"]["mappings"]["dynamic"] == "strict"


def test_documents_are_found_through_the_alias_and_replays_overwrite(
    es_client: Elasticsearch, events_spec: IndexSpec
) -> None:
    october = [make_event(n, month="2026-10") for n in range(3)]
    november = [make_event(n, month="2026-11") for n in range(3, 5)]
    for event in october + november:
        index(es_client, events_spec, event)
    for event in october:  # replay
        index(es_client, events_spec, event)

    indices = sorted(es_client.indices.get_alias(name=events_spec.alias))
    assert indices == [f"{events_spec.alias}-2026.10", f"{events_spec.alias}-2026.11"]
    assert es_client.count(index=events_spec.alias)["count"] == 5

    hits = es_client.search(
        index=events_spec.alias,
        query={
            "bool": {
                "filter": [
                    {"term": {"type": "LEADER_CONTACT"}},
                    {"term": {"actors.id": "Q7747"}},
                ],
                "must": [{"match": {"evidence": "phone call"}}],
            }
        },
        highlight={"fields": {"evidence": {}}},
        size=10,
    )["hits"]["hits"]
    assert {h["_id"] for h in hits} == {e.event_id for e in october + november}
    assert all("<em>" in h["highlight"]["evidence"][0] for h in hits)


def test_a_stale_replay_does_not_overwrite_a_newer_version(
    es_client: Elasticsearch, events_spec: IndexSpec
) -> None:
    newer = make_event(7, month="2026-11", version=2, evidence="Second version of the story.")
    stale = make_event(7, month="2026-11", version=1, evidence="First version of the story.")
    index(es_client, events_spec, newer)
    with pytest.raises(ApiError) as caught:
        index(es_client, events_spec, stale)
    assert caught.value.status_code == 409
    doc = es_client.get(index=events_spec.alias + "-2026.11", id=newer.event_id)
    assert doc["_source"]["evidence"] == "Second version of the story."


def test_strict_mapping_rejects_unknown_fields(
    es_client: Elasticsearch, events_spec: IndexSpec
) -> None:
    document = json.loads(make_event(9, month="2026-11").model_dump_json())
    document["unexpected"] = "field"
    with pytest.raises(ApiError) as caught:
        es_client.index(index=f"{events_spec.alias}-2026.11", id="x", document=document)
    assert caught.value.status_code == 400
    assert "strict_dynamic_mapping_exception" in str(caught.value)
