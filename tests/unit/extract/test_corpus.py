"""The corpus the extractor is measured on: size, coverage, and splits kept apart."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from newswire.extract.evaluation import (
    Article,
    CorpusError,
    Split,
    corpus_root,
    load_corpus,
    load_split_files,
)
from schemas.events import EventType, Modality

TUNE_MONTHS = {1, 3, 5, 7, 9, 11}


@pytest.fixture(scope="module")
def tune() -> list[Article]:
    return load_corpus(Split.TUNE)


@pytest.fixture(scope="module")
def test_split() -> list[Article]:
    return load_corpus(Split.TEST)


def test_the_corpus_is_large_enough_to_measure_on(
    tune: list[Article], test_split: list[Article]
) -> None:
    everything = tune + test_split
    assert len(everything) >= 200
    assert sum(len(a.events) for a in everything) >= 400
    assert sum(1 for a in everything if not a.events) >= 40
    assert len(test_split) >= 60


def test_articles_are_full_length_news_with_a_headline(
    tune: list[Article], test_split: list[Article]
) -> None:
    for article in tune + test_split:
        words = len(article.text.split())
        assert 150 <= words <= 800, (article.id, words)
        assert article.title, article.id
        assert article.modelled_on and article.modelled_on.startswith("http"), article.id


def test_every_gold_event_has_evidence_inside_its_article(
    tune: list[Article], test_split: list[Article]
) -> None:
    for article in tune + test_split:
        for event in article.events:
            assert event.span is not None, article.id
            assert 0 <= event.span[0] < event.span[1] <= len(article.text)


def test_the_splits_come_from_different_source_stories(
    tune: list[Article], test_split: list[Article]
) -> None:
    tune_urls = {a.modelled_on for a in tune}
    test_urls = {a.modelled_on for a in test_split}
    assert not tune_urls & test_urls
    # Stories are partitioned by month of publication, so one story cannot feed both splits.
    assert all(a.published and a.published.month in TUNE_MONTHS for a in tune)
    assert all(a.published and a.published.month not in TUNE_MONTHS for a in test_split)


def test_each_type_is_labelled_with_several_modalities(
    tune: list[Article], test_split: list[Article]
) -> None:
    seen = Counter((e.type, e.modality) for a in tune + test_split for e in a.events)
    for event_type in EventType:
        modalities = {m for (t, m) in seen if t is event_type}
        # Protests are acts: real copy reports them done or announced, rarely anything else.
        wanted = 2 if event_type is EventType.DIPLOMATIC_PROTEST else 3
        assert len(modalities) >= wanted, (event_type, modalities)
    for event_type in (EventType.CONFIDENTIAL_LEAK, EventType.DIPLOMATIC_PROTEST):
        assert seen[(event_type, Modality.ASSERTED)] and seen[(event_type, Modality.PLANNED)]


def test_the_corpus_is_found_through_the_package() -> None:
    root = corpus_root()
    assert root.joinpath("tune").is_dir() and root.joinpath("test").is_dir()
    assert "newswire" in str(root) and Path(str(root)).name == "corpus"


def test_a_malformed_file_is_reported_with_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "articles:\n  - id: x\n    modelled_on: https://example.org\n    published: 2025-01-02\n"
        "    text: Macron met Putin.\n    events:\n      - {type: LEADER_CONTACT, "
        "evidence: Scholz met, actors: [Macron], modality: asserted}\n",
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"bad.yaml: articles.0 \(x\).events.0: evidence"):
        load_split_files("tune", [bad])  # type: ignore[list-item]


def test_the_seeds_split_needs_the_shared_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="NEWSWIRE_SEEDS_DIR"):
        load_corpus(Split.SEEDS, tmp_path / "absent")


def test_the_seeds_split_reads_the_shared_articles_in_place(seeds_dir: Path) -> None:
    seeds = load_corpus(Split.SEEDS, seeds_dir)
    assert len(seeds) == 4
    assert all(a.source.startswith(str(seeds_dir)) for a in seeds)
