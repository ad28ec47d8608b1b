"""normalize + dedup + publish into the real Kafka broker, and re-runs that publish nothing new."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from newswire_testing.documents import write_fetched
from newswire_testing.topics import TopicTail

from newswire.ingest.pipeline import normalize_source, publish_articles
from newswire.ingest.settings import IngestSettings
from newswire.settings import KafkaSettings
from schemas.articles import NormalizedArticle
from schemas.base import stable_id
from schemas.topics import ARTICLES, TopicSpec

pytestmark = pytest.mark.integration
PAGES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "pages"


def test_seed_articles_reach_kafka_once_keyed_by_id(
    seeds_dir: Path,
    tmp_path: Path,
    kafka_settings: KafkaSettings,
    unique_suffix: str,
    topic_tail: Callable[[TopicSpec], TopicTail[NormalizedArticle]],
) -> None:
    settings = IngestSettings(state_dir=tmp_path / "state")
    source_id = f"seeds-{unique_suffix}"
    seeds = sorted(seeds_dir.iterdir())
    fetched = tmp_path / "fetched" / f"{source_id}.jsonl"
    write_fetched(fetched, source_id, seeds)
    tail = topic_tail(ARTICLES)

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


def test_a_copy_of_the_story_in_a_later_run_re_publishes_the_kept_article_with_its_count(
    tmp_path: Path,
    kafka_settings: KafkaSettings,
    unique_suffix: str,
    topic_tail: Callable[[TopicSpec], TopicTail[NormalizedArticle]],
    syndicated_copy: Path,
) -> None:
    settings = IngestSettings(state_dir=tmp_path / "state")
    wire, paper = f"wire-{unique_suffix}", f"paper-{unique_suffix}"
    wire_fetched = tmp_path / "fetched" / f"{wire}.jsonl"
    paper_fetched = tmp_path / "fetched" / f"{paper}.jsonl"
    write_fetched(wire_fetched, wire, [PAGES / "wire-grain-deal.html"])
    write_fetched(paper_fetched, paper, [syndicated_copy])
    tail = topic_tail(ARTICLES)

    first = normalize_source(wire_fetched, run_id="run-1", settings=settings)
    assert publish_articles([first.path], settings=settings, kafka_settings=kafka_settings) == 1
    [(_, kept)] = [(k, a) for k, a in tail.appended() if a.source_id == wire]
    assert (kept.version, kept.source_count) == (1, 1)

    # The next run brings the same story from another outlet: a duplicate, not a new article,
    # but the kept article goes out again, same id and version, with two sources.
    tail.mark()
    second = normalize_source(paper_fetched, run_id="run-2", settings=settings)
    assert (second.accepted, second.duplicates) == (0, 1)
    assert publish_articles([second.path], settings=settings, kafka_settings=kafka_settings) == 1
    [(key, update)] = [(k, a) for k, a in tail.appended() if a.source_id in {wire, paper}]
    assert key == kept.id
    assert update == kept.model_copy(update={"source_count": 2})

    # Once that update is out, re-running either source sends nothing more.
    tail.mark()
    for fetched, run in ((paper_fetched, "run-3"), (wire_fetched, "run-3")):
        again = normalize_source(fetched, run_id=run, settings=settings)
        assert publish_articles([again.path], settings=settings, kafka_settings=kafka_settings) == 0
    assert [a for _, a in tail.appended() if a.source_id in {wire, paper}] == []
