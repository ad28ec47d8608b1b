"""The consumer runtime against the real local Kafka: batches, commits, dead letters, retries."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence

import pytest
from newswire_testing.fixtures import fixture_events
from newswire_testing.handlers import RecordingHandler
from newswire_testing.topics import delete_topics, keyed, produce_raw, read_topic

from consumers.runtime import (
    ConsumedRecord,
    ConsumerRuntime,
    ConsumerSettings,
    Outcome,
    SinkBusy,
    decode_headers,
)
from newswire.settings import KafkaSettings
from newswire.transport.kafka import RecordPublisher, ensure_topics
from schemas.events import Event
from schemas.topics import (
    DLQ_HEADER_ERROR,
    DLQ_HEADER_OFFSET,
    DLQ_HEADER_PARTITION,
    DLQ_HEADER_STAGE,
    DLQ_HEADER_TOPIC,
    EVENTS,
    TopicSpec,
)

pytestmark = pytest.mark.integration


def published_events(
    kafka: KafkaSettings, topic: TopicSpec, count: int | None = None
) -> list[Event]:
    """The first ``count`` fixture events (all by default), published to ``topic`` and acked."""
    events = fixture_events()[:count]
    with RecordPublisher(kafka) as publisher:
        publisher.publish(topic, events)
    return events


@pytest.fixture(params=[False, True], ids=["sequential", "pipelined"])
def pipeline(request: pytest.FixtureRequest) -> bool:
    """Every runtime test runs with and without handling in a background thread."""
    flag: bool = request.param
    return flag


def settings_for(kafka: KafkaSettings, group: str, pipeline: bool) -> ConsumerSettings:
    return ConsumerSettings(
        kafka=kafka,
        group_id=group,
        pipeline=pipeline,
        poll_timeout_seconds=0.2,
        retry_initial_backoff_seconds=0.05,
        retry_max_backoff_seconds=0.2,
        lag_refresh_seconds=0.0,
    )


def test_every_record_is_handled_once_and_committed(
    kafka_settings: KafkaSettings, events_topic: TopicSpec, unique_suffix: str, pipeline: bool
) -> None:
    events = published_events(kafka_settings, events_topic)
    handler = RecordingHandler()
    # Small batches, so several are in flight one after the other.
    settings = settings_for(kafka_settings, unique_suffix, pipeline).model_copy(
        update={"max_batch_records": 3}
    )
    runtime = ConsumerRuntime([events_topic], handler, settings)
    assert runtime.run(until_idle=2.0) == 0
    assert sorted(handler.handled) == sorted(e.event_id for e in events)
    assert handler.calls >= 4
    labels = {"stage": "test-stage", "topic": events_topic.name}
    assert runtime.metrics.value("newswire_consumer_records_done_total", labels) == len(events)
    assert runtime.metrics.value("newswire_consumer_records_consumed_total", labels) == len(events)
    lags = [
        runtime.metrics.registry.get_sample_value(
            "newswire_consumer_lag", {**labels, "partition": str(p)}
        )
        for p in range(events_topic.partitions)
    ]
    assert lags == [0.0, 0.0, 0.0], "every partition is read to its end"

    again = RecordingHandler()
    rerun = ConsumerRuntime(
        [events_topic], again, settings_for(kafka_settings, unique_suffix, pipeline)
    )
    assert rerun.run(until_idle=2.0) == 0
    assert again.handled == [], "committed records were delivered again to the same group"


def test_poison_and_rejected_records_go_to_the_dead_letter_topic_with_provenance(
    kafka_settings: KafkaSettings, events_topic: TopicSpec, unique_suffix: str, pipeline: bool
) -> None:
    events = fixture_events()[:4]
    # All on partition 0 so the order is known: poison, wrong key, then valid records.
    produce_raw(
        kafka_settings,
        events_topic.name,
        [
            (b"bad", b"{not json"),
            keyed(events[0], "0" * 32),
            *(keyed(event, event.event_id) for event in events),
        ],
        partition=0,
    )
    rejected = events[1].event_id
    handler = RecordingHandler(reject=frozenset({rejected}))
    runtime = ConsumerRuntime(
        [events_topic], handler, settings_for(kafka_settings, unique_suffix, pipeline)
    )
    assert runtime.run(until_idle=2.0) == 0

    assert sorted(handler.handled) == sorted(e.event_id for e in events if e.event_id != rejected)
    letters = read_topic(kafka_settings, events_topic.dlq, expected=3)
    assert len(letters) == 3
    headers = [decode_headers(letter.headers) for letter in letters]  # type: ignore[attr-defined]
    assert [h[DLQ_HEADER_OFFSET] for h in headers] == ["0", "1", "3"]
    for h in headers:
        assert h[DLQ_HEADER_TOPIC] == events_topic.name
        assert h[DLQ_HEADER_PARTITION] == "0"
        assert h[DLQ_HEADER_STAGE] == "test-stage"
    assert "invalid" in headers[0][DLQ_HEADER_ERROR]
    assert "differs from event_id" in headers[1][DLQ_HEADER_ERROR]
    assert headers[2][DLQ_HEADER_ERROR] == "rejected by the test sink"
    assert letters[0].value == b"{not json"  # type: ignore[attr-defined]


def test_a_busy_sink_is_retried_with_only_the_unsettled_records(
    kafka_settings: KafkaSettings, events_topic: TopicSpec, unique_suffix: str, pipeline: bool
) -> None:
    events = published_events(kafka_settings, events_topic, 5)
    handler = RecordingHandler(busy_times=2)
    settings = settings_for(kafka_settings, unique_suffix, pipeline).model_copy(
        update={"max_batch_records": 100}
    )
    runtime = ConsumerRuntime([events_topic], handler, settings)
    assert runtime.run(until_idle=2.0) == 0
    assert sorted(handler.handled) == sorted(e.event_id for e in events)
    assert len(handler.handled) == len(set(handler.handled)), "a settled record was redone"
    assert (
        runtime.metrics.value("newswire_consumer_batch_retries_total", {"stage": "test-stage"}) >= 2
    )


def test_a_stop_during_a_retry_wait_abandons_the_batch_uncommitted(
    kafka_settings: KafkaSettings, events_topic: TopicSpec, unique_suffix: str, pipeline: bool
) -> None:
    events = published_events(kafka_settings, events_topic, 3)

    class AlwaysBusy(RecordingHandler):
        def handle(self, batch: Sequence[ConsumedRecord[Event]]) -> Sequence[Outcome]:
            self.calls += 1
            raise SinkBusy("never ready")

    busy = AlwaysBusy()
    settings = settings_for(kafka_settings, unique_suffix, pipeline)
    runtime = ConsumerRuntime([events_topic], busy, settings)
    stopper = threading.Timer(4.0, runtime.stop)
    stopper.start()
    try:
        assert runtime.run(install_signal_handlers=False) == 0
    finally:
        stopper.cancel()
    assert busy.calls >= 2

    handler = RecordingHandler()
    rerun = ConsumerRuntime([events_topic], handler, settings)
    assert rerun.run(until_idle=2.0) == 0
    assert sorted(handler.handled) == sorted(e.event_id for e in events)


def test_a_member_that_joined_before_its_topic_existed_reads_it_once_it_appears(
    kafka_settings: KafkaSettings, unique_suffix: str
) -> None:
    spec = dataclasses.replace(EVENTS, name=f"test.runtime.{unique_suffix}.late")
    events = fixture_events()
    handler = RecordingHandler()
    settings = settings_for(kafka_settings, unique_suffix, False).model_copy(
        # Metadata this member never refreshes on its own: only joining again brings the
        # partitions in, as when kafka-python keeps a stale empty share.
        update={
            "metadata_max_age_seconds": 600.0,
            "empty_share_rejoin_seconds": 1.0,
            "join_timeout_seconds": 60.0,
        }
    )
    runtime = ConsumerRuntime([spec], handler, settings)
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(runtime.run(until_idle=3.0, install_signal_handlers=False))
    )
    worker.start()
    try:
        # The member joins while the topic has no partitions and gets an empty share first;
        # it must not count that as idle time (the wait outlasts until_idle).
        time.sleep(4.5)
        ensure_topics(kafka_settings, [spec])
        with RecordPublisher(kafka_settings) as publisher:
            publisher.publish(spec, events)
        worker.join(timeout=120)
        assert not worker.is_alive(), "the runtime never idled out"
        assert result == [0]
        assert sorted(handler.handled) == sorted(e.event_id for e in events)
    finally:
        runtime.stop()
        worker.join(timeout=30)
        delete_topics(kafka_settings, [spec])
