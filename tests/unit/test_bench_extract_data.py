"""The off-topic articles of the extraction benchmark parse and have the expected shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

OFFTOPIC_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "offtopic"


def _articles() -> list[dict[str, Any]]:
    articles: list[dict[str, Any]] = []
    for path in sorted(OFFTOPIC_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path
        rows = data.get("articles")
        assert isinstance(rows, list), path
        articles.extend(rows)
    return articles


def test_offtopic_files_parse_with_distinct_ids_and_enough_articles() -> None:
    articles = _articles()
    ids = [str(a["id"]) for a in articles]
    assert len(articles) >= 50
    assert len(set(ids)) == len(ids)


def test_offtopic_texts_are_wire_length() -> None:
    for article in _articles():
        text = article.get("text")
        assert isinstance(text, str), article.get("id")
        words = len(text.split())
        assert 400 <= words <= 1500, (article["id"], words)
