"""The indexer against the real Kafka and Elasticsearch: ids, versions, dead letters, replays."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata, TopicPartition
from newswire_testing.topics import keyed, produce_raw

from consumers.indexer import IndexerSettings
from consumers.indexer.service import IndexerService
from consumers.runtime import (
    ConsumerRuntime,
    decode_headers,
)
from newswire.transport.kafka import RecordPublisher
from schemas.articles import NormalizedArticle
from schemas.base import Contract
from schemas.events import Event
from schemas.topics import (
    DLQ_HEADER_ERROR,
    DLQ_HEADER_OFFSET,
    DLQ_HEADER_PARTITION,
    DLQ_HEADER_STAGE,
    DLQ_HEADER_TOPIC,
)

pytestmark = pytest.mark.integration


def run_until_idle(settings: IndexerSettings, idle: float = 2.0) -> ConsumerRuntime[Contract]:
    service = IndexerService(settings)
    assert service.run(until_idle=idle, install_signal_handlers=False) == 0
    return service.runtime


def test_articles_and_events_land_in_monthly_indices_behind_the_aliases(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    fixture_events: list[Event],
    fixture_articles: list[NormalizedArticle],
    kit: Any,
) -> None:
    articles = fixture_articles
    articles_topic, events_topic = indexer_settings.topic_specs()
    with RecordPublisher(indexer_settings.kafka) as publisher:
        publisher.publish(articles_topic, articles)
        publisher.publish(events_topic, fixture_events)
    runtime = run_until_idle(indexer_settings)

    events_alias = indexer_settings.events_alias
    articles_alias = indexer_settings.articles_alias
    assert sorted(kit.document_ids(es_client, events_alias)) == sorted(
        e.event_id for e in fixture_events
    )
    assert sorted(kit.document_ids(es_client, articles_alias)) == sorted(a.id for a in articles)
    indices = set(es_client.indices.get_alias(name=events_alias))
    assert f"{events_alias}-2024.03" in indices
    assert f"{events_alias}-2022.07" in indices
    doc = es_client.get(index=f"{events_alias}-2024.03", id=fixture_events[0].event_id)
    assert doc["_version"] == fixture_events[0].article_version
    assert Event.model_validate_json(json.dumps(doc["_source"])) == fixture_events[0]
    done = runtime.metrics.value(
        "newswire_consumer_records_done_total",
        {"stage": "indexer", "topic": indexer_settings.events_topic},
    )
    assert done == len(fixture_events)


def test_an_article_re_published_with_more_sources_overwrites_and_an_older_count_does_not(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    fixture_articles: list[NormalizedArticle],
) -> None:
    original = fixture_articles[0]
    two = original.model_copy(update={"source_count": 2})
    three = original.model_copy(update={"source_count": 3})
    articles_topic, _ = indexer_settings.topic_specs()
    with RecordPublisher(indexer_settings.kafka) as publisher:
        publisher.publish(articles_topic, [original, three, two])
    run_until_idle(indexer_settings)
    hits = es_client.search(
        index=indexer_settings.articles_alias, query={"ids": {"values": [original.id]}}
    )["hits"]["hits"]
    assert len(hits) == 1
    assert hits[0]["_source"]["source_count"] == 3
    assert hits[0]["_source"]["version"] == original.version


def test_a_stale_replay_never_overwrites_a_newer_version(
    indexer_settings: IndexerSettings, es_client: Elasticsearch, fixture_events: list[Event]
) -> None:
    original = fixture_events[0]
    newer = original.model_copy(update={"article_version": 3, "evidence": "revised evidence"})
    stale = original.model_copy(update={"article_version": 2, "evidence": "stale evidence"})
    _, events_topic = indexer_settings.topic_specs()
    with RecordPublisher(indexer_settings.kafka) as publisher:
        publisher.publish(events_topic, [newer])
        publisher.publish(events_topic, [stale])
        publisher.publish(events_topic, [newer])
    runtime = run_until_idle(indexer_settings)
    doc = es_client.get(index=f"{indexer_settings.events_alias}-2024.03", id=original.event_id)
    assert doc["_version"] == 3
    assert doc["_source"]["evidence"] == "revised evidence"
    # The 409 of the stale version counts as done, not as a dead letter.
    labels = {"stage": "indexer", "topic": indexer_settings.events_topic}
    assert runtime.metrics.value("newswire_consumer_records_done_total", labels) == 3
    assert (
        runtime.metrics.value(
            "newswire_consumer_records_dead_lettered_total", {**labels, "reason": "rejected"}
        )
        == 0
    )


def test_a_malformed_and_a_mapping_rejected_record_are_dead_lettered_and_the_rest_indexed(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    fixture_events: list[Event],
    kit: Any,
) -> None:
    _, events_topic = indexer_settings.topic_specs()
    # A keyword term longer than Lucene's 32766-byte limit: valid contract, refused mapping.
    too_long = fixture_events[0].model_copy(update={"location": "x" * 40_000})
    following = fixture_events[1:6]
    produce_raw(
        indexer_settings.kafka,
        events_topic.name,
        [
            (b"garbage", b'{"event_id": 1'),
            keyed(too_long, too_long.event_id),
            *(keyed(event, event.event_id) for event in following),
        ],
        partition=1,
    )
    run_until_idle(indexer_settings)

    assert sorted(kit.document_ids(es_client, indexer_settings.events_alias)) == sorted(
        e.event_id for e in following
    )
    letters = kit.read_dead_letters(indexer_settings.kafka, events_topic.dlq, expected=2)
    assert len(letters) == 2
    headers = [decode_headers(letter.headers) for letter in letters]
    assert [(h[DLQ_HEADER_PARTITION], h[DLQ_HEADER_OFFSET]) for h in headers] == [
        ("1", "0"),
        ("1", "1"),
    ]
    assert {h[DLQ_HEADER_TOPIC] for h in headers} == {events_topic.name}
    assert {h[DLQ_HEADER_STAGE] for h in headers} == {"indexer"}
    assert "invalid" in headers[0][DLQ_HEADER_ERROR]
    assert "HTTP 400" in headers[1][DLQ_HEADER_ERROR]
    assert "document_parsing_exception" in headers[1][DLQ_HEADER_ERROR]
    assert letters[0].value == b'{"event_id": 1'
    assert Event.model_validate_json(letters[1].value) == too_long


def test_a_group_reset_to_earliest_and_rerun_adds_no_document(
    indexer_settings: IndexerSettings,
    es_client: Elasticsearch,
    published_events: Callable[[int], list[Event]],
    kit: Any,
) -> None:
    events = published_events(60)
    _, events_topic = indexer_settings.topic_specs()
    run_until_idle(indexer_settings)
    alias = indexer_settings.events_alias
    assert kit.count_documents(es_client, alias) == 60
    stats_before = es_client.indices.stats(index=alias, metric="docs")["_all"]["primaries"]

    # Reset the group's committed offsets to the beginning, as an operator would.
    resetter = KafkaConsumer(
        **indexer_settings.kafka.client_options(),
        group_id=indexer_settings.group_id,
        enable_auto_commit=False,
    )
    try:
        partitions = [
            TopicPartition(events_topic.name, p)
            for p in sorted(resetter.partitions_for_topic(events_topic.name) or ())
        ]
        resetter.assign(partitions)
        starts = resetter.beginning_offsets(partitions)
        resetter.commit({tp: OffsetAndMetadata(starts[tp], "", -1) for tp in partitions})
    finally:
        resetter.close(autocommit=False)

    runtime = run_until_idle(indexer_settings)
    labels = {"stage": "indexer", "topic": events_topic.name}
    assert runtime.metrics.value("newswire_consumer_records_done_total", labels) == 60
    assert kit.count_documents(es_client, alias) == 60
    stats_after = es_client.indices.stats(index=alias, metric="docs")["_all"]["primaries"]
    assert stats_after["docs"]["count"] == stats_before["docs"]["count"] == 60
    assert sorted(kit.document_ids(es_client, alias)) == sorted(e.event_id for e in events)


def test_sigterm_like_stop_leaves_the_indexer_cleanly(
    indexer_settings: IndexerSettings, fixture_events: list[Event]
) -> None:
    service = IndexerService(indexer_settings)
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(service.run(None, install_signal_handlers=False))
    )
    worker.start()
    assert service.ready.wait(30)
    service.stop()
    worker.join(30)
    assert result == [0]
