"""kafka-python against the real local broker: idempotent keyed produce, manual-commit group."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic

from newswire.settings import KafkaSettings
from newswire.transport.kafka import PublishError, RecordPublisher
from schemas.base import stable_id
from schemas.events import Event
from schemas.topics import TopicSpec, all_topic_names

pytestmark = pytest.mark.integration

RECORDS = 600


def make_event(i: int) -> Event:
    article_id = stable_id(f"https://example.org/{i % 50}")
    return Event.model_validate_json(
        json.dumps(
            {
                "event_id": stable_id(article_id, str(i)),
                "article_id": article_id,
                "type": "LEADER_CONTACT",
                "actors": [{"id": "Q3052772", "name": "Emmanuel Macron"}],
                "modality": "asserted",
                "evidence": f"Macron spoke with Putin, report {i}.",
                "evidence_start": 0,
                "evidence_end": 10,
                "confidence": 0.8,
            }
        )
    )


def drain(consumer: KafkaConsumer, expected: int, max_polls: int = 60) -> list[object]:
    seen: list[object] = []
    for _ in range(max_polls):
        for records in consumer.poll(timeout_ms=1000).values():
            seen.extend(records)
        if len(seen) >= expected:
            break
    return seen


def test_catalogue_topics_exist_on_the_broker(kafka_settings: KafkaSettings) -> None:
    admin = KafkaAdminClient(**kafka_settings.client_options())
    try:
        existing = set(admin.list_topics())
    finally:
        admin.close()
    assert set(all_topic_names()) <= existing


def test_idempotent_keyed_records_come_back_once_through_a_committing_group(
    kafka_settings: KafkaSettings, unique_suffix: str
) -> None:
    spec = TopicSpec(
        name=f"test.roundtrip.{unique_suffix}", model=Event, key_field="event_id", partitions=3
    )
    admin = KafkaAdminClient(**kafka_settings.client_options())
    try:
        admin.create_topics([NewTopic(spec.name, spec.partitions, 1)])
    finally:
        admin.close()
    events = [make_event(i) for i in range(RECORDS)]
    with RecordPublisher(kafka_settings) as publisher:
        assert publisher.publish(spec, events) == RECORDS

    group = f"test-group-{unique_suffix}"
    consumer = KafkaConsumer(
        spec.name,
        **kafka_settings.client_options(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        records = drain(consumer, RECORDS)
        consumer.commit()
    finally:
        consumer.close()

    assert len(records) == RECORDS
    by_key = {r.key.decode(): Event.model_validate_json(r.value) for r in records}  # type: ignore[attr-defined]
    assert by_key == {e.event_id: e for e in events}
    partitions_per_key: dict[str, set[int]] = defaultdict(set)
    for r in records:
        partitions_per_key[r.key.decode()].add(r.partition)  # type: ignore[attr-defined]
    assert all(len(p) == 1 for p in partitions_per_key.values())
    assert len({r.partition for r in records}) == 3  # type: ignore[attr-defined]

    # The group committed everything: a new member of it reads nothing more.
    again = KafkaConsumer(
        spec.name,
        **kafka_settings.client_options(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        assert drain(again, 1, max_polls=5) == []
        committed = sum(
            again.committed(TopicPartition(spec.name, p)) or 0 for p in range(spec.partitions)
        )
    finally:
        again.close()
    assert committed == RECORDS


def test_publishing_the_wrong_contract_is_refused(kafka_settings: KafkaSettings) -> None:
    spec = TopicSpec(name="news.articles.v1", model=Event, key_field="event_id", partitions=3)
    wrong = TopicSpec(name=spec.name, model=KafkaSettings, key_field="id", partitions=3)  # type: ignore[arg-type]
    with RecordPublisher(kafka_settings) as publisher, pytest.raises(PublishError, match="carries"):
        publisher.publish(wrong, [make_event(1)])
