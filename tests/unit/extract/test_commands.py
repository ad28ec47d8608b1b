from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from typer.testing import CliRunner

from newswire.extract.commands import eval_command, extract_command
from newswire.extract.evaluation import Split, load_corpus
from schemas.articles import NormalizedArticle, TextMethod
from schemas.base import stable_id
from schemas.events import Event, EventType, Modality


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("extract")(extract_command)
    app.command("eval")(eval_command)
    return app


def _events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_extract_processes_good_lines_and_reports_malformed_ones(
    extract_fixtures: Path, tmp_path: Path
) -> None:
    output = tmp_path / "events.jsonl"
    result = CliRunner().invoke(
        _app(),
        [
            "extract",
            "--input",
            str(extract_fixtures / "input_mixed.jsonl"),
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert ":2: skipped: not valid JSON" in result.stderr
    assert ":3: skipped: text: Field required" in result.stderr
    assert ":5: skipped: published: not a date" in result.stderr
    assert "3 malformed line(s) skipped" in result.stderr
    lines = _events(output)
    assert len(lines) == 1
    payload = lines[0]
    assert payload["article_id"] == "wire-1"
    assert payload["type"] == "LEADER_CONTACT"
    assert payload["event_date"] == "2025-03-18"
    actors = payload["actors"]
    assert isinstance(actors, list)
    assert {a["id"] for a in actors} == {"Q3052772", "Q7747"}
    text = json.loads((extract_fixtures / "input_mixed.jsonl").read_text().splitlines()[0])["text"]
    start, end = payload["evidence_start"], payload["evidence_end"]
    assert isinstance(start, int) and isinstance(end, int)
    assert text[start:end] == payload["evidence"]
    for key in ("event_id", "modality", "confidence", "evidence"):
        assert key in payload


def test_extract_reads_normalized_article_lines(tmp_path: Path) -> None:
    now = datetime(2025, 10, 23, 12, 0, tzinfo=UTC)
    article = NormalizedArticle(
        id=stable_id("eu-sanctions"),
        title="EU adopts sanctions",
        text="The European Union adopted its 19th package of sanctions against Russia on Thursday.",
        published_at=now,
        source_id="example-wire",
        fetched_at=now,
        content_hash="1" * 64,
        text_method=TextMethod.TRAFILATURA,
    )
    source = tmp_path / "articles.jsonl"
    source.write_text(article.model_dump_json() + "\n", encoding="utf-8")
    output = tmp_path / "events.jsonl"
    result = CliRunner().invoke(
        _app(), ["extract", "--input", str(source), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    (line,) = output.read_text(encoding="utf-8").splitlines()
    event = Event.model_validate_json(line)
    assert event.article_id == article.id
    assert event.type is EventType.SANCTIONS_OR_ASSETS
    assert event.modality is Modality.ASSERTED
    assert event.source_id == "example-wire"


def test_extract_fails_clearly_on_a_missing_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(),
        ["extract", "--input", str(tmp_path / "absent.jsonl"), "--output", str(tmp_path / "o")],
    )
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_eval_prints_one_json_object_with_the_kept_top_level_numbers() -> None:
    result = CliRunner().invoke(_app(), ["eval", "--split", "tune", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["split"] == "tune"
    assert report["articles"] == len(load_corpus(Split.TUNE))
    assert report["events"] == sum(len(a.events) for a in load_corpus(Split.TUNE))
    for key in ("precision", "recall", "modality_accuracy"):
        assert 0.0 <= report[key] <= 1.0
    assert set(report["per_type"]) == {t.value for t in EventType}
    found = sum(s["found"] for s in report["per_type"].values())
    assert found == report["matched"]


def test_eval_lists_errors_on_request_and_refuses_an_unknown_split() -> None:
    result = CliRunner().invoke(_app(), ["eval", "--split", "tune", "--errors"])
    assert result.exit_code == 0, result.output
    assert "split tune:" in result.stdout
    assert "missed " in result.stdout or "false alarm " in result.stdout
    refused = CliRunner().invoke(_app(), ["eval", "--split", "dev"])
    assert refused.exit_code == 2
    assert "--split must be one of tune, test, all, seeds" in refused.stderr


def test_eval_scores_the_shared_seeds_only_when_given_their_folder(seeds_dir: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["eval", "--split", "seeds", "--json", "--seeds", str(seeds_dir)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["articles"] == 4
    missing = CliRunner().invoke(
        _app(), ["eval", "--split", "seeds", "--seeds", str(seeds_dir / "absent")]
    )
    assert missing.exit_code == 1
    assert "NEWSWIRE_SEEDS_DIR" in missing.stderr
