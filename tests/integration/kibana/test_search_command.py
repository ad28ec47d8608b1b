"""``newswire search`` against fixture events in the real Elasticsearch."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import typer
from newswire_testing.commands import command_app
from typer.testing import CliRunner

from newswire.search.command import search_command
from newswire.settings import ElasticsearchSettings
from schemas.base import stable_id
from schemas.events import Event
from schemas.indices import IndexSpec

pytestmark = pytest.mark.integration


Search = Callable[..., typer.testing.Result]


@pytest.fixture
def run_search(monkeypatch: pytest.MonkeyPatch, es_settings: ElasticsearchSettings) -> Search:
    """Runs ``newswire search ARGS...`` over the events alias given first, in the test stack."""

    def run(alias: str, *args: str) -> typer.testing.Result:
        monkeypatch.setenv("NEWSWIRE_SEARCH_EVENTS_ALIAS", alias)
        monkeypatch.setenv("NEWSWIRE_ES_URL", es_settings.url)
        return CliRunner().invoke(command_app("search", search_command), ["search", *args])

    return run


def ids(output: str) -> set[str]:
    return {hit["event"]["event_id"] for hit in json.loads(output)["hits"]}


def test_text_query_finds_and_highlights_the_evidence(
    run_search: Search, indexed_fixture_events: tuple[IndexSpec, list[Event]]
) -> None:
    spec, _ = indexed_fixture_events
    result = run_search(spec.alias, "frozen assets", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["total"] == 1
    [hit] = payload["hits"]
    assert hit["event"]["event_id"] == stable_id("fixture-event", "frozen-assets")
    assert "<em>frozen</em> <em>assets</em>" in hit["evidence_highlighted"]


def test_filters_by_type_actor_and_modality(
    run_search: Search, indexed_fixture_events: tuple[IndexSpec, list[Event]]
) -> None:
    spec, _ = indexed_fixture_events
    contacts = run_search(
        spec.alias,
        "--type",
        "leader_contact",
        "--actor",
        "emmanuel macron",
        "--json",
    )
    assert ids(contacts.stdout) == {
        stable_id("fixture-event", "contact-2025"),
        stable_id("fixture-event", "feb20-call"),
    }
    by_qid = run_search(
        spec.alias,
        "--actor",
        "Q191",
        "--modality",
        "hypothetical",
        "--json",
    )
    assert ids(by_qid.stdout) == {stable_id("fixture-event", "estonia-boots")}


def test_since_keeps_only_recent_events(
    run_search: Search, indexed_fixture_events: tuple[IndexSpec, list[Event]]
) -> None:
    spec, events = indexed_fixture_events
    everything = run_search(spec.alias, "--json")
    assert json.loads(everything.stdout)["total"] == len(events)
    recent = run_search(spec.alias, "--since", "1d", "--json")
    assert json.loads(recent.stdout)["total"] == 0


def test_the_table_shows_the_hits(
    monkeypatch: pytest.MonkeyPatch,
    run_search: Search,
    indexed_fixture_events: tuple[IndexSpec, list[Event]],
) -> None:
    spec, _ = indexed_fixture_events
    monkeypatch.setenv("COLUMNS", "200")
    result = run_search(spec.alias, "Estonia")
    assert result.exit_code == 0, result.output
    assert "1 event(s), showing 1" in result.stdout
    assert "TROOP_DEPLOYMENT" in result.stdout
    assert "hypothetical" in result.stdout


def test_a_missing_alias_is_a_clear_error(
    run_search: Search,
) -> None:
    result = run_search("test-missing-news-events", "--json")
    assert result.exit_code == 1
    assert "no events indexed yet" in result.stderr
