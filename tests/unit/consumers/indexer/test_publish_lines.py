"""``newswire publish``: line validation and the command's behaviour without a broker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from newswire_testing.commands import command_app
from typer.testing import CliRunner

from newswire.transport.commands import publish_command
from newswire.transport.publish import InvalidLine, PublishFileError, parse_lines, resolve_topic
from schemas.articles import NormalizedArticle
from schemas.events import Event
from schemas.topics import ARTICLES, EVENTS

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "events"


def cli() -> typer.Typer:
    return command_app("publish", publish_command)


def test_valid_event_lines_parse_and_blank_lines_are_skipped() -> None:
    lines = (FIXTURES / "events.jsonl").read_text().splitlines()
    parsed = list(parse_lines(EVENTS, [lines[0], "", "   ", lines[1]]))
    assert [number for number, _ in parsed] == [1, 4]
    assert all(isinstance(record, Event) for _, record in parsed)


def test_invalid_lines_are_reported_with_their_number_and_reason() -> None:
    good = (FIXTURES / "events.jsonl").read_text().splitlines()[0]
    wrong_type = json.loads(good) | {"type": "ALIEN_LANDING"}
    parsed = dict(parse_lines(EVENTS, [good, "{oops", json.dumps(wrong_type), "[]"]))
    assert isinstance(parsed[1], Event)
    for number in (2, 3, 4):
        assert isinstance(parsed[number], InvalidLine)
        assert parsed[number].number == number  # type: ignore[union-attr]
    assert "type" in parsed[3].error  # type: ignore[union-attr]


def test_normalize_output_with_source_path_is_a_valid_article_line() -> None:
    line = (FIXTURES / "articles.jsonl").read_text().splitlines()[0]
    with_path = json.dumps(json.loads(line) | {"source_path": "/data/in/article-1.html"})
    [(_, record)] = list(parse_lines(ARTICLES, [with_path]))
    assert isinstance(record, NormalizedArticle)
    assert record.source_path == "/data/in/article-1.html"


def test_an_event_line_is_not_a_valid_article() -> None:
    line = (FIXTURES / "events.jsonl").read_text().splitlines()[0]
    [(_, record)] = list(parse_lines(ARTICLES, [line]))
    assert isinstance(record, InvalidLine)


def test_unknown_topics_are_refused_naming_the_known_ones() -> None:
    with pytest.raises(PublishFileError, match=r"news\.articles\.v1, news\.events\.v1"):
        resolve_topic("news.unknown.v1")


def test_the_command_exits_non_zero_and_sends_nothing_when_every_line_is_invalid(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"event_id": "x"}\n\nnot json\n')
    result = CliRunner().invoke(cli(), ["publish", "--topic", EVENTS.name, str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:1: invalid Event" in result.stderr
    assert f"{bad}:3: invalid Event" in result.stderr
    assert "published 0 record(s) to news.events.v1; 2 invalid line(s)" in result.stdout


def test_the_command_refuses_an_unknown_topic_with_exit_code_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = CliRunner().invoke(cli(), ["publish", "--topic", "nope", str(empty)])
    assert result.exit_code == 2
    assert "unknown topic 'nope'" in result.stderr


def test_the_command_reports_an_unreadable_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli(), ["publish", "--topic", EVENTS.name, str(tmp_path / "missing.jsonl")]
    )
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
