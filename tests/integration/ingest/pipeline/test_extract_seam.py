"""The extraction seam: accepted articles -> EventExtractor -> ``news.events.v1`` (real Kafka)."""

from __future__ import annotations

from pathlib import Path

import pytest
from newswire_testing.documents import write_fetched
from newswire_testing.topics import TopicTail

from newswire.ingest.pipeline import (
    extract_and_publish_events,
    normalize_source,
    read_articles,
)
from newswire.ingest.settings import IngestSettings
from newswire.settings import KafkaSettings
from schemas.events import Event

pytestmark = pytest.mark.integration


def test_events_of_accepted_articles_are_published_keyed_by_event_id(
    seeds_dir: Path,
    tmp_path: Path,
    kafka_settings: KafkaSettings,
    unique_suffix: str,
    events_tail: TopicTail[Event],
) -> None:
    from newswire.extract.extractor import EventExtractor
    from newswire.extract.settings import ExtractSettings

    settings = IngestSettings(state_dir=tmp_path / "state")
    source_id = f"seam-{unique_suffix}"
    fetched = tmp_path / f"{source_id}.jsonl"
    write_fetched(fetched, source_id, sorted(seeds_dir.iterdir()))
    accepted = normalize_source(fetched, run_id="r1", settings=settings).path
    articles = list(read_articles([accepted]))
    extractor = EventExtractor(ExtractSettings())
    expected = {event.event_id for a in articles for event in extractor.extract(a)}
    assert expected, "the seeds are about leaders' contacts: the extractor should find events"

    sent = extract_and_publish_events(
        [accepted], kafka_settings=kafka_settings, extract_settings=ExtractSettings()
    )

    ours = {a.id for a in articles}
    published = [(key, e) for key, e in events_tail.appended() if e.article_id in ours]
    assert sent == len(expected)
    assert {key for key, _ in published} == expected
    assert all(key == event.event_id for key, event in published)
    assert {event.source_id for _, event in published} == {source_id}
