"""``newswire status --json`` against the real local stack: health, dead letters, lag, verdict."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from newswire_testing.commands import run_process

from newswire.settings import KafkaSettings
from newswire.stack.processes import free_port
from schemas.articles import NormalizedArticle, TextMethod
from schemas.base import stable_id
from schemas.topics import ARTICLES, DLQ_HEADER_ERROR, DLQ_HEADER_TOPIC, EVENTS

pytestmark = pytest.mark.integration

NEWSWIRE = Path(sys.executable).with_name("newswire")


def _status(**env: str) -> tuple[int, dict[str, Any]]:
    done = run_process([str(NEWSWIRE), "status", "--json"], env={**os.environ, **env}, timeout=180)
    return done.returncode, json.loads(done.stdout)


def test_status_reports_dead_letters_and_lag_as_warnings(
    kafka_settings: KafkaSettings, unique_suffix: str
) -> None:
    group = f"status-test-{unique_suffix}"
    producer = KafkaProducer(**kafka_settings.client_options())
    # A dead letter as the consumers write it: the source record's bytes, headers naming it.
    producer.send(
        EVENTS.dlq,
        key=b"k",
        value=b"{}",
        headers=[(DLQ_HEADER_TOPIC, EVENTS.name.encode()), (DLQ_HEADER_ERROR, b"test")],
    ).get(timeout=30)
    article = NormalizedArticle(
        id=stable_id("status-test", unique_suffix),
        title="Status test article",
        text="A valid article so that the test group has something to lag behind.",
        source_id=f"status-test-{unique_suffix}",
        fetched_at=datetime.now(UTC),
        content_hash=hashlib.sha256(unique_suffix.encode()).hexdigest(),
        text_method=TextMethod.TRAFILATURA,
    )
    producer.send(
        ARTICLES.name, key=article.id.encode(), value=article.model_dump_json().encode()
    ).get(timeout=30)
    producer.close()
    # A consumer group that committed offset 0 on one partition with records: it lags.
    consumer = KafkaConsumer(
        **kafka_settings.client_options(), group_id=group, enable_auto_commit=False
    )
    partitions = [TopicPartition(ARTICLES.name, p) for p in range(ARTICLES.partitions)]
    ends = consumer.end_offsets(partitions)
    busy = max(partitions, key=lambda tp: ends[tp])
    consumer.assign([busy])
    consumer.commit({busy: OffsetAndMetadata(0, "", -1)})
    consumer.close()

    code, before = _status(NEWSWIRE_INDEXER_GROUP_ID=group)
    assert code == 0 and before["healthy"] is True, before["verdict"]
    assert set(before["dead_letters"]) == {ARTICLES.name, EVENTS.name}
    assert before["dead_letters"][EVENTS.name] >= 1
    assert before["topics"][ARTICLES.name]["partitions"] == ARTICLES.partitions
    assert before["topics"][ARTICLES.name]["lag"][group] >= ends[busy]
    assert any("dead letter" in w for w in before["warnings"])
    assert any(group in w for w in before["warnings"])
    assert set(before["aliases"]) == {"news-articles", "news-events"}
    assert set(before["outbox"]) == {"pending", "failed", "sent_last_hour"}


def test_status_is_unhealthy_when_elasticsearch_cannot_be_reached() -> None:
    code, status = _status(
        NEWSWIRE_ES_URL=f"http://127.0.0.1:{free_port()}", NEWSWIRE_ES_REQUEST_TIMEOUT_SECONDS="3"
    )
    assert code == 1
    assert status["healthy"] is False
    assert "Elasticsearch" in status["verdict"]
    assert status["kafka"]["reachable"] is True
