"""The Kibana saved objects of ``newswire/stack/resources/kibana``: well formed, and their searches find the events.

The structural checks need no server. The saved searches' Lucene queries and filters are run as
``query_string`` queries plus the filters' query DSL against fixture events indexed in the real
Elasticsearch, and must return exactly the expected events.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from newswire.resources import resource_path
from schemas.base import stable_id
from schemas.events import Event
from schemas.indices import ARTICLE_PROPERTIES, EVENT_PROPERTIES, IndexSpec

KIBANA_DIR = resource_path("newswire.stack", "resources", "kibana")

# Saved search title -> the fixture events (tests/fixtures/events, by name) it must find.
EXPECTED_HITS = {
    "Macron–Putin contact": {"contact-2025", "feb20-call"},
    "NATO / European troop deployment": {"nato-personnel", "coalition", "estonia-boots"},
    "Leaked conversations": {"leak-2024", "france2-leak", "lavrov-rebuke"},
    "Denied or hypothetical deployments": {"estonia-boots", "france-denies"},
}


def fixture_id(name: str) -> str:
    return stable_id("fixture-event", name)


# The name each fixture event's id was derived from (tests/fixtures/events/events.jsonl).
FIXTURE_NAMES = {
    fixture_id(name): name
    for name in (
        "leak-2024",
        "contact-2025",
        "nato-personnel",
        "coalition",
        "estonia-boots",
        "france-denies",
        "lavrov-rebuke",
        "france2-leak",
        "frozen-assets",
        "feb20-call",
    )
}


def saved_objects() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for path in sorted(KIBANA_DIR.glob("*.ndjson")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                obj = json.loads(line)
                obj["_where"] = f"{path.name}:{number}"
                objects.append(obj)
    return objects


def by_type(kind: str) -> list[dict[str, Any]]:
    return [obj for obj in saved_objects() if obj["type"] == kind]


def search_source(obj: dict[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = json.loads(
        obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]
    )
    return source


def flatten(properties: dict[str, Any], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, spec in properties.items():
        full = f"{prefix}{name}"
        names.add(full)
        names |= flatten(spec.get("properties", {}), f"{full}.")
        names |= {f"{full}.{sub}" for sub in spec.get("fields", {})}
    return names


EVENT_FIELDS = flatten(EVENT_PROPERTIES)


def test_every_object_is_well_formed_with_a_unique_id() -> None:
    objects = saved_objects()
    assert len(objects) >= 10
    ids = [(obj["type"], obj["id"]) for obj in objects]
    assert len(ids) == len(set(ids))
    for obj in objects:
        assert {"type", "id", "attributes", "references"} <= obj.keys(), obj["_where"]
        assert obj["coreMigrationVersion"] == "8.8.0", obj["_where"]
        assert obj["attributes"]["title"], obj["_where"]


def test_every_reference_resolves_to_an_object_of_the_file() -> None:
    objects = saved_objects()
    known = {(obj["type"], obj["id"]) for obj in objects}
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in known, f"{obj['_where']}: dangling {ref}"


def test_embedded_json_parses_and_every_ref_name_is_declared() -> None:
    for obj in saved_objects():
        declared = {ref["name"] for ref in obj["references"]}
        attributes = obj["attributes"]
        if "kibanaSavedObjectMeta" in attributes:
            source = search_source(obj)
            if "indexRefName" in source:
                assert source["indexRefName"] in declared, obj["_where"]
            for item in source.get("filter", []):
                assert item["meta"]["indexRefName"] in declared, obj["_where"]
        if obj["type"] == "dashboard":
            panels = json.loads(attributes["panelsJSON"])
            json.loads(attributes["optionsJSON"])
            assert len(panels) == 4
            for panel in panels:
                assert f"{panel['panelIndex']}:{panel['panelRefName']}" in declared
        if obj["type"] == "visualization":
            state = json.loads(attributes["visState"])
            assert state["title"] == attributes["title"]


def test_data_views_cover_articles_and_events_on_mapped_time_fields() -> None:
    views = {obj["attributes"]["title"]: obj["attributes"] for obj in by_type("index-pattern")}
    assert set(views) == {"news-articles*", "news-events*"}
    assert views["news-events*"]["timeFieldName"] in EVENT_PROPERTIES
    assert views["news-articles*"]["timeFieldName"] in ARTICLE_PROPERTIES


def test_the_dashboard_shows_time_by_type_top_actors_modalities_and_latest_evidence() -> None:
    [dashboard] = by_type("dashboard")
    panel_ids = {ref["id"] for ref in dashboard["references"]}
    visualizations = {
        obj["id"]: json.loads(obj["attributes"]["visState"]) for obj in by_type("visualization")
    }
    assert panel_ids == set(visualizations) | {"newswire-search-latest-evidence"}
    fields = {
        agg["params"]["field"]
        for state in visualizations.values()
        for agg in state["aggs"]
        if "field" in agg["params"]
    }
    assert {"published_at", "type", "actors.name.keyword", "modality"} <= fields
    assert fields <= EVENT_FIELDS


def test_the_four_saved_searches_exist_with_lucene_queries_on_mapped_fields() -> None:
    searches = {obj["attributes"]["title"]: obj for obj in by_type("search")}
    assert set(EXPECTED_HITS) <= set(searches)
    for title in EXPECTED_HITS:
        source = search_source(searches[title])
        assert source["query"]["language"] == "lucene"
        for column in searches[title]["attributes"]["columns"]:
            assert column in EVENT_FIELDS, f"{title}: column {column} is not mapped"


def es_query(source: dict[str, Any]) -> dict[str, Any]:
    """What Kibana sends for a saved search: the Lucene query plus its enabled filters."""
    must_not: list[dict[str, Any]] = []
    filters: list[dict[str, Any]] = []
    for item in source.get("filter", []):
        if item["meta"].get("disabled"):
            continue
        (must_not if item["meta"].get("negate") else filters).append(item["query"])
    return {
        "bool": {
            "must": [
                {"query_string": {"query": source["query"]["query"], "analyze_wildcard": True}}
            ],
            "filter": filters,
            "must_not": must_not,
        }
    }


@pytest.mark.integration
@pytest.mark.parametrize("title", sorted(EXPECTED_HITS))
def test_each_saved_search_finds_exactly_its_fixture_events(
    title: str,
    es_client: Elasticsearch,
    indexed_fixture_events: tuple[IndexSpec, list[Event]],
) -> None:
    spec, events = indexed_fixture_events
    [obj] = [o for o in by_type("search") if o["attributes"]["title"] == title]
    response = es_client.search(index=spec.alias, query=es_query(search_source(obj)), size=100)
    found = {hit["_id"] for hit in response["hits"]["hits"]}
    expected = {fixture_id(name) for name in EXPECTED_HITS[title]}
    assert expected <= {e.event_id for e in events}
    assert {FIXTURE_NAMES.get(i, i) for i in found} == EXPECTED_HITS[title]


@pytest.mark.integration
def test_the_latest_evidence_search_lists_every_event(
    es_client: Elasticsearch, indexed_fixture_events: tuple[IndexSpec, list[Event]]
) -> None:
    spec, events = indexed_fixture_events
    [obj] = [o for o in by_type("search") if o["id"] == "newswire-search-latest-evidence"]
    response = es_client.search(index=spec.alias, query=es_query(search_source(obj)), size=100)
    assert response["hits"]["total"]["value"] == len(events)
    assert set(FIXTURE_NAMES) == {e.event_id for e in events}, "fixture names out of date"
