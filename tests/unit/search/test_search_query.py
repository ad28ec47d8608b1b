"""The pure parts of ``newswire search``: argument parsing, the query body, rendering."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from newswire_testing.commands import command_app
from rich.console import Console
from typer.testing import CliRunner

from newswire.search.adapter import EventHit, SearchResult
from newswire.search.command import search_command
from newswire.search.query import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    EventQuery,
    QueryError,
    build_search,
    parse_event_type,
    parse_modality,
    parse_since,
)
from newswire.search.render import (
    event_date,
    highlight_html,
    highlight_markup,
    hit_row,
    print_table,
    result_json,
)
from schemas.events import Event, EventType, Modality

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def first_event() -> Event:
    return Event.model_validate_json((FIXTURES / "events.jsonl").read_text().splitlines()[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("24h", timedelta(hours=24)),
        ("30m", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        (" 3 d ", timedelta(days=3)),
    ],
)
def test_since_accepts_numbers_with_a_unit(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "-1d", "7y", "1.5h"])
def test_since_rejects_anything_else(text: str) -> None:
    with pytest.raises(QueryError, match="--since"):
        parse_since(text)


def test_types_and_modalities_are_case_insensitive_and_checked() -> None:
    assert parse_event_type("leader_contact") is EventType.LEADER_CONTACT
    assert parse_modality("NEGATED") is Modality.NEGATED
    with pytest.raises(QueryError, match="LEADER_CONTACT"):
        parse_event_type("meeting")
    with pytest.raises(QueryError, match="asserted"):
        parse_modality("maybe")


def test_no_argument_matches_everything_newest_first() -> None:
    body = build_search(EventQuery(), now=NOW, size=20)
    assert body["query"] == {"bool": {"must": [{"match_all": {}}], "filter": []}}
    assert body["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}
    assert body["size"] == 20
    assert body["highlight"]["fields"] == {"evidence": {"number_of_fragments": 0}}


def test_text_is_a_simple_query_over_evidence_titles_and_actors_ranked_by_score() -> None:
    body = build_search(EventQuery(text='"confidential conversation"'), now=NOW, size=5)
    [must] = body["query"]["bool"]["must"]
    assert must["simple_query_string"]["query"] == '"confidential conversation"'
    assert "evidence^3" in must["simple_query_string"]["fields"]
    assert "actors.name^2" in must["simple_query_string"]["fields"]
    assert body["sort"][0] == "_score"


def test_filters_for_type_modality_actor_and_since() -> None:
    query = EventQuery(
        event_type=EventType.TROOP_DEPLOYMENT,
        modality=Modality.PLANNED,
        actor="Emmanuel Macron",
        since=timedelta(days=7),
    )
    filters = build_search(query, now=NOW, size=10)["query"]["bool"]["filter"]
    assert {"term": {"type": "TROOP_DEPLOYMENT"}} in filters
    assert {"term": {"modality": "planned"}} in filters
    actor = filters[2]
    assert {"term": {"actors.name.lower": "emmanuel macron"}} in actor["bool"]["should"]
    assert {"term": {"actors.id": "Emmanuel Macron"}} in actor["bool"]["should"]
    since = filters[-1]["bool"]["should"]
    assert since[0] == {"range": {"published_at": {"gte": "2026-11-16T12:00:00+00:00"}}}
    assert since[1]["bool"]["filter"] == [
        {"range": {"first_seen_at": {"gte": "2026-11-16T12:00:00+00:00"}}}
    ]


def test_highlights_become_bold_markup_and_the_rest_is_escaped() -> None:
    text = f"the [leaked] {HIGHLIGHT_START}call{HIGHLIGHT_END} of {HIGHLIGHT_START}Macron{HIGHLIGHT_END}"
    assert highlight_markup(text) == (
        r"the \[leaked] [bold yellow]call[/] of [bold yellow]Macron[/]"
    )
    assert highlight_html(text) == "the [leaked] <em>call</em> of <em>Macron</em>"


def test_a_row_shows_date_type_actors_modality_evidence_and_source() -> None:
    event = first_event()
    row = hit_row(EventHit(event, 1.0, None))
    assert row[0] == "2024-03-20"
    assert row[1] == "CONFIDENTIAL_LEAK"
    assert row[2] == "Emmanuel Macron, Vladimir Putin"
    assert row[3] == "asserted"
    assert row[4] == event.evidence
    assert row[5] == "seed-000"


def test_the_event_date_wins_over_the_publication_date() -> None:
    event = first_event().model_copy(update={"event_date": datetime(2022, 2, 20).date()})
    assert event_date(event) == "2022-02-20"


def test_json_output_has_total_scores_highlights_and_events() -> None:
    event = first_event()
    result = SearchResult(3, [EventHit(event, 2.5, f"a {HIGHLIGHT_START}leak{HIGHLIGHT_END}")])
    payload = json.loads(result_json(result))
    assert payload["total"] == 3
    assert payload["hits"][0]["score"] == 2.5
    assert payload["hits"][0]["evidence_highlighted"] == "a <em>leak</em>"
    assert Event.model_validate_json(json.dumps(payload["hits"][0]["event"])) == event


def test_the_table_lists_every_hit() -> None:
    console = Console(record=True, width=200)
    event = first_event()
    print_table(SearchResult(1, [EventHit(event, None, None)]), console)
    text = console.export_text()
    assert "1 event(s), showing 1" in text
    assert "CONFIDENTIAL_LEAK" in text
    assert "Emmanuel Macron, Vladimir Putin" in text


def test_the_command_refuses_a_bad_filter_before_calling_elasticsearch() -> None:
    app = command_app("search", search_command)
    result = CliRunner().invoke(app, ["search", "--since", "forever"])
    assert result.exit_code == 1
    assert "--since 'forever'" in result.stderr
