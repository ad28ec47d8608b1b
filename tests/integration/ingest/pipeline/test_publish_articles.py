"""normalize + dedup + publish into the real Kafka broker, and re-runs that publish nothing new."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest

from newswire.ingest.pipeline import normalize_source, publish_articles, write_jsonl_atomically
from newswire.ingest.settings import IngestSettings
from newswire.settings import KafkaSettings
from schemas.articles import NormalizedArticle
from schemas.base import stable_id
from schemas.documents import FetchedDocument, SourceKind

pytestmark = pytest.mark.integration


class Tail(Protocol):
    def mark(self) -> None: ...

    def appended(self) -> list[tuple[str, NormalizedArticle]]: ...


def _write_fetched(path: Path, source_id: str, files: list[Path]) -> None:
    documents = [
        FetchedDocument(
            source_id=source_id,
            source_kind=SourceKind.FILEDROP,
            body_path=str(file),
            body_sha256=hashlib.sha256(file.read_bytes()).hexdigest(),
            fetched_at=datetime.now(UTC),
        ).model_dump_json()
        for file in files
    ]
    write_jsonl_atomically(path, documents)


def test_seed_articles_reach_kafka_once_keyed_by_id(
    seeds_dir: Path,
    tmp_path: Path,
    kafka_settings: KafkaSettings,
    unique_suffix: str,
    articles_tail: Callable[[], Tail],
) -> None:
    settings = IngestSettings(state_dir=tmp_path / "state")
    source_id = f"seeds-{unique_suffix}"
    seeds = sorted(seeds_dir.iterdir())
    fetched = tmp_path / "fetched" / f"{source_id}.jsonl"
    _write_fetched(fetched, source_id, seeds)
    tail = articles_tail()

    first = normalize_source(fetched, run_id="run-1", settings=settings)
    assert first.accepted == len(seeds) and first.errors == 0
    assert publish_articles([first.path], settings=settings, kafka_settings=kafka_settings) == len(
        seeds
    )

    records = [(key, a) for key, a in tail.appended() if a.source_id == source_id]
    expected_ids = {stable_id(source_id, seed.name) for seed in seeds}
    assert {key for key, _ in records} == expected_ids
    assert all(key == article.id for key, article in records)
    assert {a.version for _, a in records} == {1}
    assert all(a.first_seen_at is not None for _, a in records)

    # A re-run over the same documents: all unchanged, nothing accepted, nothing published.
    tail.mark()
    again = normalize_source(fetched, run_id="run-2", settings=settings)
    assert (again.accepted, again.unchanged) == (0, len(seeds))
    assert publish_articles([again.path], settings=settings, kafka_settings=kafka_settings) == 0
    assert [a for _, a in tail.appended() if a.source_id == source_id] == []
