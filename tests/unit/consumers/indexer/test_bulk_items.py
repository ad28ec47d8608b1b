"""Bulk actions and the classification of bulk item results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consumers.indexer import IndexerSettings, ItemVerdict, bulk_action, classify_item
from consumers.indexer.bulk import describe_error
from schemas.events import Event
from schemas.indices import EVENTS_INDEX

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "events"


def first_event() -> Event:
    return Event.model_validate_json((FIXTURES / "events.jsonl").read_text().splitlines()[0])


def test_an_event_is_indexed_under_its_id_with_its_article_version_as_external_version() -> None:
    event = first_event().model_copy(update={"article_version": 4})
    action = bulk_action(EVENTS_INDEX, event)
    assert action["_op_type"] == "index"
    assert action["_id"] == event.event_id
    assert action["_index"] == "news-events-2024.03"
    assert (action["version"], action["version_type"]) == (4, "external_gte")
    assert action["_source"]["actors"][0]["id"] == "Q3052772"
    assert action["_source"]["published_at"] == "2024-03-20T08:00:00Z"


@pytest.mark.parametrize(
    ("ok", "status", "error", "verdict"),
    [
        (True, 201, None, ItemVerdict.DONE),
        (True, 200, None, ItemVerdict.DONE),
        (False, 409, {"type": "version_conflict_engine_exception"}, ItemVerdict.DONE),
        (False, 429, {"type": "es_rejected_execution_exception"}, ItemVerdict.RETRY),
        (False, 503, {"type": "unavailable_shards_exception"}, ItemVerdict.RETRY),
        (False, 500, {"type": "exception"}, ItemVerdict.RETRY),
        (False, 408, None, ItemVerdict.RETRY),
        (False, "N/A", "ConnectionTimeout", ItemVerdict.RETRY),
        (False, None, None, ItemVerdict.RETRY),
        (False, 200, "The client noticed that the server is not Elasticsearch", ItemVerdict.RETRY),
        (False, 403, {"type": "cluster_block_exception"}, ItemVerdict.RETRY),
        (False, 400, {"type": "document_parsing_exception"}, ItemVerdict.REJECT),
        (False, 400, {"type": "mapper_parsing_exception"}, ItemVerdict.REJECT),
        (False, 400, {"type": "illegal_argument_exception"}, ItemVerdict.REJECT),
        (False, 413, None, ItemVerdict.REJECT),
    ],
)
def test_bulk_items_are_classified_done_retry_or_reject(
    ok: bool, status: object, error: object, verdict: ItemVerdict
) -> None:
    assert classify_item(ok, status, error) is verdict


def test_errors_are_described_with_their_cause() -> None:
    error = {
        "type": "document_parsing_exception",
        "reason": "failed to parse field [location]",
        "caused_by": {"type": "illegal_argument_exception", "reason": "immense term"},
    }
    assert describe_error(error) == (
        "document_parsing_exception: failed to parse field [location] "
        "(caused by illegal_argument_exception: immense term)"
    )
    assert describe_error("timeout") == "timeout"


def test_topic_and_alias_names_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_INDEXER_EVENTS_TOPIC", "test.events")
    monkeypatch.setenv("NEWSWIRE_INDEXER_EVENTS_ALIAS", "test-news-events")
    monkeypatch.setenv("NEWSWIRE_INDEXER_BULK_CHUNK_SIZE", "250")
    settings = IndexerSettings()
    articles_topic, events_topic = settings.topic_specs()
    _, events_index = settings.index_specs()
    assert (articles_topic.name, events_topic.name) == ("news.articles.v1", "test.events")
    assert events_topic.dlq == "test.events.dlq"
    assert events_index.alias == "test-news-events"
    assert events_index.template_name == "test-news-events-v1"
    assert events_index.template_body()["index_patterns"] == ["test-news-events-*"]
    assert settings.bulk_chunk_size == 250
    assert settings.group_id == "newswire-indexer"


def test_the_validated_wire_json_is_indexed_as_is_when_it_names_every_field() -> None:
    event = first_event()
    raw = event.model_dump_json().encode()
    parsed = Event.model_validate_json(raw)
    assert bulk_action(EVENTS_INDEX, parsed, raw)["_source"] is raw


def test_a_record_relying_on_defaults_is_dumped_in_full_so_no_field_goes_missing() -> None:
    payload = json.loads(first_event().model_dump_json())
    del payload["historical"]  # defaults to false
    del payload["actors"][0]["mention"]  # a nested default
    raw = json.dumps(payload).encode()
    source = bulk_action(EVENTS_INDEX, Event.model_validate_json(raw), raw)["_source"]
    assert isinstance(source, dict)
    assert source["historical"] is False
    assert "mention" in source["actors"][0]


def test_pretty_printed_wire_json_is_dumped_on_one_line_for_the_bulk_body() -> None:
    raw = json.dumps(json.loads(first_event().model_dump_json()), indent=2).encode()
    source = bulk_action(EVENTS_INDEX, Event.model_validate_json(raw), raw)["_source"]
    assert isinstance(source, dict)
