"""The normalize + dedup task over fetched-document files (no Kafka needed)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.fsutil import write_lines_atomically
from newswire.ingest.pipeline import (
    RunFiles,
    normalize_source,
    prune_runs,
    read_articles,
    write_articles,
)
from newswire.ingest.settings import IngestSettings
from schemas.base import stable_id
from schemas.documents import DocumentHints, FetchedDocument, SourceKind

PAGES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "pages"
WIRE_URL = "https://wire.example/world/grain-talks"


def _document(body: Path, url: str | None, **fields: object) -> str:
    sha = hashlib.sha256(body.read_bytes()).hexdigest() if body.exists() else "0" * 64
    values: dict[str, object] = {
        "source_id": "test-news",
        "source_kind": SourceKind.HTML,
        "url": url,
        "body_path": str(body),
        "body_sha256": sha,
        "content_type": "text/html; charset=utf-8",
        "fetched_at": datetime(2024, 6, 1, tzinfo=UTC),
        **fields,
    }
    return FetchedDocument.model_validate(values, strict=False).model_dump_json()


def _settings(tmp_path: Path) -> IngestSettings:
    return IngestSettings(state_dir=tmp_path / "state")


def test_near_duplicate_and_url_variant_pairs_collapse_into_one_article(
    tmp_path: Path, syndicated_copy: Path
) -> None:
    settings = _settings(tmp_path)
    fetched = tmp_path / "test-news.jsonl"
    write_lines_atomically(
        fetched,
        [
            _document(PAGES / "wire-grain-deal.html", WIRE_URL),
            _document(
                PAGES / "wire-grain-deal.html",
                "HTTPS://Wire.Example:443/world//grain-talks?utm_source=rss&fbclid=x#top",
            ),
            _document(syndicated_copy, "https://paper.example/black-sea-grain"),
        ],
    )
    outcome = normalize_source(fetched, run_id="r1", settings=settings)
    assert (outcome.accepted, outcome.unchanged, outcome.duplicates, outcome.errors) == (1, 1, 1, 0)

    output = tmp_path / "out.jsonl"
    assert write_articles([outcome.path], output, settings=settings) == 1
    [article] = list(read_articles([output]))
    assert article.id == stable_id(WIRE_URL)
    assert article.source_count == 2


def test_changed_text_at_the_same_url_is_published_as_a_new_version(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    page = tmp_path / "page.html"
    page.write_bytes((PAGES / "harbor-bridge.html").read_bytes())
    url = "https://www.coastal-ledger.example/news/2024/05/14/harbor-bridge-reopens"
    fetched = tmp_path / "test-news.jsonl"
    write_lines_atomically(fetched, [_document(page, url)])
    first = normalize_source(fetched, run_id="r1", settings=settings)
    write_articles([first.path], tmp_path / "first.jsonl", settings=settings)

    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "within weeks.</p>",
            "within weeks.</p><p>Update: the mayor will open the cycle lane on Friday.</p>",
        ),
        encoding="utf-8",
    )
    write_lines_atomically(fetched, [_document(page, url)])
    second = normalize_source(fetched, run_id="r2", settings=settings)
    [updated] = list(read_articles([second.path]))
    assert updated.id == stable_id(url)
    assert updated.version == 2
    assert "Update: the mayor" in updated.text


def test_each_bad_document_is_logged_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path)
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8")
    fetched = tmp_path / "test-news.jsonl"
    write_lines_atomically(
        fetched,
        [
            _document(binary, "https://bad.example/binary"),
            _document(tmp_path / "missing.html", "https://bad.example/missing"),
            _document(empty, "https://bad.example/empty"),
            _document(PAGES / "council-budget.html", "https://good.example/council-budget"),
        ],
    )
    with caplog.at_level(logging.ERROR, logger="newswire.ingest.pipeline"):
        outcome = normalize_source(fetched, run_id="r1", settings=settings)
    assert (outcome.accepted, outcome.errors) == (1, 3)
    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert "https://bad.example/binary: cannot normalize: binary body" in messages
    assert "https://bad.example/missing: cannot normalize" in messages
    assert "https://bad.example/empty: cannot normalize: no article text" in messages


def test_feed_hints_and_file_drops_share_the_task(tmp_path: Path, seeds_dir: Path) -> None:
    settings = _settings(tmp_path)
    seed = sorted(seeds_dir.iterdir())[0]
    fetched = RunFiles(settings.state_dir, "r1").fetched("drop")
    write_lines_atomically(
        fetched,
        [
            _document(
                seed, None, source_id="drop", source_kind=SourceKind.FILEDROP, content_type=None
            ),
            _document(
                PAGES / "harbor-bridge.html",
                "https://www.coastal-ledger.example/news/2024/05/14/harbor-bridge-reopens",
                source_id="drop",
                hints=DocumentHints(title="Feed title wins"),
            ),
        ],
    )
    outcome = normalize_source(fetched, run_id="r1", settings=settings)
    articles = {a.title: a for a in read_articles([outcome.path])}
    assert set(articles) == {
        "Feed title wins",
        "Amidst escalating tensions in Eastern Europe, a confidential conversation between French President Emmanuel Macron and Russian President Vladimir Putin has inadvertently surfaced, triggering a wave of controversy and diplomatic fury.",
    }
    assert (
        json.loads(Path(outcome.path).read_text(encoding="utf-8").splitlines()[0])["version"] == 1
    )


def test_old_run_folders_are_pruned_but_the_current_run_is_kept(tmp_path: Path) -> None:
    settings = IngestSettings(state_dir=tmp_path / "state", keep_runs=2)
    for number in range(5):
        folder = RunFiles(settings.state_dir, f"run-{number}").run_dir
        folder.mkdir(parents=True)
        os.utime(folder, (1_000_000 + number, 1_000_000 + number))
    pruned = prune_runs(settings, keep_run="run-0")
    assert sorted(p.name for p in pruned) == ["run-1", "run-2"]
    remaining = sorted(p.name for p in (settings.state_dir / "runs").iterdir())
    assert remaining == ["run-0", "run-3", "run-4"]


def test_a_large_source_on_several_workers_gives_what_one_worker_gives(tmp_path: Path) -> None:
    pages = sorted(PAGES.glob("*.html"))
    lines = []
    for number in range(24):
        page = pages[number % len(pages)]
        # Every page twice at two URLs (duplicates), plus a missing body (an error).
        lines.append(_document(page, f"https://many.example/{number % 12}/{page.stem}"))
    lines.insert(5, _document(tmp_path / "missing.html", "https://many.example/missing"))
    outcomes = {}
    accepted = {}
    for workers in (1, 2):
        settings = IngestSettings(
            state_dir=tmp_path / f"state-{workers}", normalize_workers=workers
        )
        fetched = tmp_path / f"w{workers}" / "test-news.jsonl"
        fetched.parent.mkdir()
        write_lines_atomically(fetched, lines)
        outcome = normalize_source(fetched, run_id="r1", settings=settings)
        outcomes[workers] = (
            outcome.accepted,
            outcome.duplicates,
            outcome.unchanged,
            outcome.errors,
        )
        accepted[workers] = [
            json.loads(line) for line in Path(outcome.path).read_text(encoding="utf-8").splitlines()
        ]
    assert outcomes[1] == outcomes[2]
    assert outcomes[1][3] == 1 and outcomes[1][0] >= len(pages)
    for article in accepted[1] + accepted[2]:
        article.pop("first_seen_at", None)
        article.pop("last_seen_at", None)
    assert accepted[1] == accepted[2]
