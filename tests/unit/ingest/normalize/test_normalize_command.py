from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer
from typer.testing import CliRunner

from newswire.ingest.commands import normalize_command
from schemas.articles import NormalizedArticle

PAGES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "pages"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("normalize")(normalize_command)

    @app.command("noop")
    def noop() -> None:
        """Keeps typer in multi-command mode, as in the real CLI."""

    return app


def _read_output(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_folder_with_a_bad_file_yields_one_line_per_good_file_and_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for page in sorted(PAGES.glob("*.html")):
        shutil.copy(page, folder / page.name)
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    (folder / "notes.csv").write_text("ignored,because,not,an,article\n", encoding="utf-8")
    output = tmp_path / "out" / "articles.jsonl"

    result = CliRunner().invoke(_app(), ["normalize", str(folder), "--output", str(output)])

    assert result.exit_code == 0, result.output
    records = _read_output(output)
    html_count = len(list(PAGES.glob("*.html")))
    assert len(records) == html_count
    assert {Path(str(r["source_path"])).name for r in records} == {
        p.name for p in PAGES.glob("*.html")
    }
    for record in records:
        assert NormalizedArticle.model_validate_json(json.dumps(record)).text
    assert "broken.json" in result.stderr and "not valid JSON" in result.stderr
    assert "notes.csv" not in result.stderr


def test_seed_files_and_folder_arguments_mix(seeds_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "seeds.jsonl"
    seed = sorted(seeds_dir.iterdir())[0]
    result = CliRunner().invoke(
        _app(), ["normalize", str(seed), str(seeds_dir), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    records = _read_output(output)
    assert len(records) == 1 + len(list(seeds_dir.iterdir()))
    by_path = {r["source_path"]: r for r in records}
    first = by_path[str(seeds_dir / "000_4cbe64c3db010b32.txt")]
    assert first["published_at"] == "2024-03-20T00:00:00Z"
    assert first["published_at_source"] == "file"


def test_missing_path_is_reported_and_nothing_normalized_exits_non_zero(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        _app(), ["normalize", str(tmp_path / "missing"), "--output", str(output)]
    )
    assert result.exit_code == 1
    assert "no such file or folder" in result.stderr
    assert output.read_text(encoding="utf-8") == ""


def test_output_is_the_same_in_input_order_with_one_or_several_workers(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for copy in range(3):
        for page in sorted(PAGES.glob("*.html")):
            shutil.copy(page, folder / f"{copy}-{page.name}")
    (folder / "5-broken.json").write_text("{not json", encoding="utf-8")
    outputs = {}
    for workers in ("1", "2", "3"):
        output = tmp_path / f"out-{workers}.jsonl"
        result = CliRunner().invoke(
            _app(), ["normalize", str(folder), "--output", str(output), "--workers", workers]
        )
        assert result.exit_code == 0, result.output
        assert "5-broken.json" in result.stderr and "not valid JSON" in result.stderr
        outputs[workers] = output.read_bytes()
    assert outputs["1"] == outputs["2"] == outputs["3"]
    names = [Path(str(r["source_path"])).name for r in _read_output(tmp_path / "out-2.jsonl")]
    assert names == sorted(p.name for p in folder.glob("*.html"))
