"""Ingest counts per source and stage: the log lines and the Prometheus textfiles."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from newswire_testing.metrics import labels as _labels
from newswire_testing.metrics import scrape_textfile as _scrape

from newswire.ingest.metrics import (
    EVENTS,
    FAILURES,
    ITEMS,
    LAST_SUCCESS,
    SOURCE_ERRORS,
    MetricsSettings,
    StageReport,
    extract_report,
    failed_report,
    failing_stage,
    fetch_report,
    normalize_report,
    publish_report,
    report_stages,
    textfile_path,
    write_reports,
)
from newswire.ingest.pipeline import FetchOutcome, IngestError, IngestReport, NormalizeOutcome
from newswire.ingest.pipeline.passes import SourceSummary
from newswire.ingest.summary import stage_reports


def _fetch(source: str = "wire") -> FetchOutcome:
    return FetchOutcome(source, "/x", 4, 2, 1, 3, {"HTTP 404": 1})


def test_textfiles_hold_counters_that_add_up_across_passes(tmp_path: Path) -> None:
    normalized = NormalizeOutcome("wire", "/y", 3, 1, 0, 0)
    (path,) = write_reports(tmp_path, [fetch_report(_fetch()), normalize_report(normalized)], 100.0)
    assert path == textfile_path(tmp_path, "wire")
    write_reports(
        tmp_path,
        [fetch_report(_fetch()), extract_report("wire", {"LEADER_CONTACT": 2, "PROTEST": 1})],
        200.0,
    )

    scraped = _scrape(path)
    items = f"{ITEMS}_total"
    assert scraped[(items, _labels(source="wire", stage="fetch", outcome="fetched"))] == 8
    assert scraped[(items, _labels(source="wire", stage="fetch", outcome="not_modified"))] == 4
    assert scraped[(items, _labels(source="wire", stage="fetch", outcome="deferred"))] == 6
    assert scraped[(items, _labels(source="wire", stage="fetch", outcome="failed"))] == 2
    assert scraped[(items, _labels(source="wire", stage="normalize", outcome="accepted"))] == 3
    assert scraped[(items, _labels(source="wire", stage="normalize", outcome="duplicate"))] == 1
    failures = f"{FAILURES}_total"
    assert scraped[(failures, _labels(source="wire", stage="fetch", reason="HTTP 404"))] == 2
    events = f"{EVENTS}_total"
    assert scraped[(events, _labels(source="wire", type="LEADER_CONTACT"))] == 2
    assert scraped[(events, _labels(source="wire", type="PROTEST"))] == 1
    # The gauge is replaced, not added: the time of the last completed stage.
    assert scraped[(LAST_SUCCESS, _labels(source="wire", stage="fetch"))] == 200.0
    assert scraped[(LAST_SUCCESS, _labels(source="wire", stage="normalize"))] == 100.0
    # No _created series: the counters outlive the process that wrote them.
    assert not [name for name, _ in scraped if name.endswith("_created")]
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically, nothing left behind


def test_a_failed_stage_counts_an_error_and_keeps_the_last_success(tmp_path: Path) -> None:
    write_reports(tmp_path, [publish_report("wire", 5)], 100.0)
    write_reports(tmp_path, [failed_report("wire", "publish", "broker down")], 200.0)
    scraped = _scrape(textfile_path(tmp_path, "wire"))
    assert scraped[(f"{SOURCE_ERRORS}_total", _labels(source="wire", stage="publish"))] == 1
    assert scraped[(LAST_SUCCESS, _labels(source="wire", stage="publish"))] == 100.0
    published = (f"{ITEMS}_total", _labels(source="wire", stage="publish", outcome="published"))
    assert scraped[published] == 5


def test_each_source_has_its_own_file_with_a_safe_name(tmp_path: Path) -> None:
    paths = write_reports(
        tmp_path,
        [fetch_report(_fetch("a")), fetch_report(_fetch("b/../c")), fetch_report(_fetch("a"))],
    )
    assert [p.name for p in paths] == ["newswire_ingest_a.prom", "newswire_ingest_b_.._c.prom"]
    assert all(p.parent == tmp_path for p in paths)


def test_a_damaged_file_restarts_its_counters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    textfile_path(tmp_path, "wire").write_text("this is { not prometheus\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="newswire.ingest.metrics"):
        write_reports(tmp_path, [publish_report("wire", 2)])
    assert "unreadable" in caplog.text
    scraped = _scrape(textfile_path(tmp_path, "wire"))
    assert (
        scraped[(f"{ITEMS}_total", _labels(source="wire", stage="publish", outcome="published"))]
        == 2
    )


def test_report_stages_logs_one_line_per_stage_with_the_counters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reports = [fetch_report(_fetch()), extract_report("wire", {"PROTEST": 2})]
    with caplog.at_level(logging.INFO, logger="newswire.ingest.metrics"):
        report_stages(reports, MetricsSettings(metrics_dir=tmp_path / "metrics"))
    fetch_line, extract_line = caplog.records
    assert fetch_line.getMessage() == (
        "ingest fetch wire: fetched 4, not_modified 2, deferred 3, failed 1"
    )
    fields = fetch_line.__dict__
    assert (fields["event"], fields["source"], fields["stage"]) == ("ingest_stage", "wire", "fetch")
    assert (fields["fetched"], fields["failed"], fields["failure_reasons"]) == (
        4,
        1,
        {"HTTP 404": 1},
    )
    assert extract_line.__dict__["events_by_type"] == {"PROTEST": 2}
    assert extract_line.__dict__["events"] == 2
    assert textfile_path(tmp_path / "metrics", "wire").is_file()


def test_without_a_metrics_dir_only_the_lines_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("NEWSWIRE_METRICS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="newswire.ingest.metrics"):
        report_stages([publish_report("wire", 1)], MetricsSettings())
    assert len(caplog.records) == 1
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_metrics_dir_is_logged_and_the_work_stands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="newswire.ingest.metrics"):
        report_stages([publish_report("wire", 1)], MetricsSettings(metrics_dir=blocker))
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "cannot write ingest metrics" in error.getMessage()


def test_failing_stage_reports_the_failure_and_reraises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = MetricsSettings(metrics_dir=tmp_path)
    with (
        caplog.at_level(logging.INFO, logger="newswire.ingest.metrics"),
        pytest.raises(IngestError, match="feed gone"),
        failing_stage("wire", "fetch", settings),
    ):
        raise IngestError("feed gone")
    (line,) = caplog.records
    assert line.levelno == logging.WARNING
    assert line.__dict__["error"] == "feed gone"
    scraped = _scrape(textfile_path(tmp_path, "wire"))
    assert scraped[(f"{SOURCE_ERRORS}_total", _labels(source="wire", stage="fetch"))] == 1


def test_the_pass_summary_becomes_stage_reports_per_source() -> None:
    report = IngestReport(run_id="r", output=None)
    report.sources = [
        SourceSummary(
            "ok",
            fetched=3,
            not_modified=1,
            accepted=2,
            duplicates=1,
            failed=2,  # one fetch failure and one normalize failure
            reasons={"timeout": 1, "normalize": 1},
            normalize_failed=1,
            published=2,
            events={"PROTEST": 1},
        ),
        SourceSummary("gone", error="HTTP 500", error_stage="fetch"),
        SourceSummary("half", fetched=1, error="unreadable", error_stage="normalize"),
    ]
    by_key = {(s.source_id, s.stage): s for s in stage_reports(report, extracted=True)}

    assert sorted(by_key) == [
        ("gone", "fetch"),
        ("half", "fetch"),
        ("half", "normalize"),
        ("ok", "extract"),
        ("ok", "fetch"),
        ("ok", "normalize"),
        ("ok", "publish"),
    ]
    assert by_key["ok", "fetch"] == StageReport(
        "ok", "fetch", {"fetched": 3, "not_modified": 1, "deferred": 0, "failed": 1}, {"timeout": 1}
    )
    assert by_key["ok", "normalize"].outcomes == {
        "accepted": 2,
        "duplicate": 1,
        "unchanged": 0,
        "failed": 1,
    }
    assert by_key["ok", "normalize"].reasons == {"normalize": 1}
    assert by_key["ok", "publish"].outcomes == {"published": 2}
    assert by_key["ok", "extract"].events == {"PROTEST": 1}
    assert by_key["gone", "fetch"].error == "HTTP 500"
    assert by_key["half", "fetch"].outcomes["fetched"] == 1
    assert by_key["half", "normalize"].error == "unreadable"

    written = IngestReport(run_id="r", output="/tmp/out.jsonl", sources=[SourceSummary("ok")])
    assert [(s.stage, s.outcomes) for s in stage_reports(written)][-1] == (
        "publish",
        {"written": 0},
    )
