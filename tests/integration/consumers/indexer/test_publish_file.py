"""``newswire publish``'s logic against the real Kafka: valid lines produced keyed by their id."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from newswire_testing.commands import command_app
from newswire_testing.topics import read_topic
from typer.testing import CliRunner

from consumers.indexer import IndexerSettings
from newswire.transport.commands import publish_command
from newswire.transport.publish import publish_file
from schemas.events import Event
from schemas.topics import TOPICS

pytestmark = pytest.mark.integration


def test_valid_lines_are_produced_keyed_by_event_id_and_invalid_ones_reported(
    indexer_settings: IndexerSettings, fixture_events: list[Event], tmp_path: Path
) -> None:
    _, events_topic = indexer_settings.topic_specs()
    source = tmp_path / "extract-output.jsonl"
    lines = [e.model_dump_json() for e in fixture_events[:4]]
    source.write_text("\n".join([lines[0], "{broken", lines[1], "", lines[2], lines[3]]) + "\n")
    errors = io.StringIO()

    report = publish_file(events_topic, source, indexer_settings.kafka, errors=errors)

    assert report.published == 4
    assert [line.number for line in report.invalid] == [2]
    assert f"{source}:2: invalid Event" in errors.getvalue()
    records = read_topic(
        indexer_settings.kafka,
        events_topic.name,
        expected=4,
        partitions=range(events_topic.partitions),
    )
    received = {r.key.decode(): Event.model_validate_json(r.value) for r in records}
    assert received == {e.event_id: e for e in fixture_events[:4]}


def test_the_publish_command_sends_valid_lines_and_exits_1_for_the_invalid_one(
    indexer_settings: IndexerSettings,
    fixture_events: list[Event],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, events_topic = indexer_settings.topic_specs()
    # Register this test's topic in the catalogue for the duration of the test.
    monkeypatch.setitem(TOPICS, events_topic.name, events_topic)
    monkeypatch.setenv("NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS", indexer_settings.kafka.bootstrap_servers)
    source = tmp_path / "events.jsonl"
    source.write_text(
        "\n".join(
            [
                fixture_events[0].model_dump_json(),
                '{"type": "x"}',
                fixture_events[1].model_dump_json(),
            ]
        )
    )
    app = command_app("publish", publish_command)

    result = CliRunner().invoke(app, ["publish", "--topic", events_topic.name, str(source)])

    assert result.exit_code == 1
    assert f"{source}:2: invalid Event" in result.stderr
    assert f"published 2 record(s) to {events_topic.name}; 1 invalid line(s)" in result.stdout
    records = read_topic(
        indexer_settings.kafka,
        events_topic.name,
        expected=2,
        partitions=range(events_topic.partitions),
    )
    keys = {record.key.decode() for record in records}
    assert keys == {fixture_events[0].event_id, fixture_events[1].event_id}
