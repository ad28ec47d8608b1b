"""The demo's figures: run files counted, index growth, what the services still have to do."""

from __future__ import annotations

from pathlib import Path

from newswire.demo.summary import (
    RunCounts,
    added,
    run_counts,
    services_waiting,
    summarize,
    task_progress,
)


def _write(path: Path, lines: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("{}\n" for _ in range(lines)) + "\n", encoding="utf-8")


def test_run_counts_reads_the_fetched_and_accepted_files_of_every_source(tmp_path: Path) -> None:
    _write(tmp_path / "fetched" / "demo-rss.jsonl", 3)
    _write(tmp_path / "fetched" / "demo-wire-api.jsonl", 3)
    _write(tmp_path / "accepted" / "demo-rss.jsonl", 3)
    _write(tmp_path / "accepted" / "demo-wire-api.jsonl", 2)
    counts = run_counts(tmp_path)
    assert counts == RunCounts(fetched=6, accepted=5)
    assert counts.not_accepted == 1
    assert run_counts(tmp_path / "missing") == RunCounts()


def test_added_keeps_only_what_grew() -> None:
    before = {"LEADER_CONTACT": 2, "MILITARY_ACTION": 1}
    after = {"LEADER_CONTACT": 3, "MILITARY_ACTION": 1, "CONFIDENTIAL_LEAK": 1}
    assert added(before, after) == {"CONFIDENTIAL_LEAK": 1, "LEADER_CONTACT": 1}
    assert added(after, after) == {}


def test_summarize_combines_runs_indices_and_receivers() -> None:
    summary = summarize(
        [RunCounts(14, 12), RunCounts(0, 0)],
        articles_before=5,
        articles_after=17,
        events_before={"LEADER_CONTACT": 1},
        events_after={"LEADER_CONTACT": 4, "MILITARY_ACTION": 2},
        modalities_before={},
        modalities_after={"asserted": 4, "planned": 1},
        webhook_alerts=6,
        email_alerts=2,
    )
    assert (summary.runs, summary.fetched, summary.accepted, summary.duplicates) == (2, 14, 12, 2)
    assert summary.new_articles == 12
    assert summary.new_events == 5
    assert summary.events_by_type == {"LEADER_CONTACT": 3, "MILITARY_ACTION": 2}
    assert summary.events_by_modality == {"asserted": 4, "planned": 1}
    assert summary.alerts == 8


def test_a_second_run_sums_to_nothing_new() -> None:
    same = {"LEADER_CONTACT": 3}
    summary = summarize(
        [RunCounts(0, 0)],
        articles_before=12,
        articles_after=12,
        events_before=same,
        events_after=same,
        modalities_before={"asserted": 3},
        modalities_after={"asserted": 3},
        webhook_alerts=0,
        email_alerts=0,
    )
    assert (summary.new_articles, summary.new_events, summary.alerts) == (0, 0, 0)


def _status(lags: dict[str, dict[str, int]], pending: int = 0) -> dict[str, object]:
    return {
        "topics": {
            "news.articles.v1": {"end_offsets": {"0": 4}, "lag": lags.get("news.articles.v1", {})},
            "news.events.v1": {"end_offsets": {"0": 2}, "lag": lags.get("news.events.v1", {})},
        },
        "outbox": {"pending": pending},
    }


def test_services_are_caught_up_when_every_group_committed_everything() -> None:
    caught_up = {
        "news.articles.v1": {"newswire-indexer": 0},
        "news.events.v1": {"newswire-indexer": 0, "newswire-alerter": 0},
    }
    assert services_waiting(_status(caught_up)) == []
    lagging = {**caught_up, "news.events.v1": {"newswire-indexer": 0, "newswire-alerter": 2}}
    assert services_waiting(_status(lagging)) == ["newswire-alerter on news.events.v1: lag 2"]
    assert services_waiting(_status({"news.articles.v1": {"newswire-indexer": 0}})) == [
        "newswire-indexer on news.events.v1: starting",
        "newswire-alerter on news.events.v1: starting",
    ]
    assert services_waiting(_status(caught_up, pending=1)) == ["1 alert(s) pending"]
    assert services_waiting({}) == ["pipeline status unavailable"]


def test_an_empty_topic_waits_for_no_group() -> None:
    status = {
        "topics": {"news.articles.v1": {"end_offsets": {"0": 0}, "lag": {}}},
        "outbox": {"pending": 0},
    }
    assert services_waiting(status) == []


def test_task_progress_counts_finished_instances_per_task() -> None:
    tasks = [
        {"task_id": "list_sources", "state": "success"},
        {"task_id": "fetch", "state": "success"},
        {"task_id": "fetch", "state": "running"},
        {"task_id": "extract_events", "state": "skipped"},
    ]
    assert task_progress(tasks) == "list_sources 1/1, fetch 1/2, extract_events 1/1"
