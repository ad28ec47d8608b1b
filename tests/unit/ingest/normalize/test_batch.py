"""Normalizing a batch on several processes: results in input order, errors as values."""

from __future__ import annotations

from pathlib import Path

from newswire.ingest.normalize import NormalizeOptions, normalize_path
from newswire.ingest.normalize.batch import normalize_paths, ordered_map, resolve_workers

PAGES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "pages"


def _square_or_error(value: int) -> int | str:
    return "odd" if value % 7 == 3 else value * value


def test_ordered_map_keeps_item_order_whatever_the_workers() -> None:
    items = list(range(50))
    expected = [_square_or_error(item) for item in items]
    for workers in (1, 2, 4):
        assert list(ordered_map(_square_or_error, items, workers=workers)) == expected


def test_zero_workers_means_one_per_core() -> None:
    assert resolve_workers(0) >= 1
    assert resolve_workers(3) == 3


def test_normalize_paths_matches_one_file_at_a_time(tmp_path: Path) -> None:
    paths = sorted(PAGES.glob("*.html"))
    bad = tmp_path / "empty.html"
    bad.write_bytes(b"   ")
    inputs = [*paths, bad, *paths]
    options = NormalizeOptions()
    results = list(normalize_paths(inputs, source_id="local", options=options, workers=2))
    assert [result.path for result in results] == inputs
    for result in results:
        if result.path == bad:
            assert result.line is None and result.error == "empty file"
        else:
            article = normalize_path(result.path, source_id="local", options=options)
            assert result.error is None and result.line == article.model_dump_json()
