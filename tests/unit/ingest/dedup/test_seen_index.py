from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newswire.ingest.dedup import DedupError, SeenIndex, Verdict
from newswire.ingest.normalize.fingerprint import content_hash, near_duplicate_signature
from schemas.articles import NormalizedArticle, TextMethod
from schemas.base import stable_id

NUM_PERM = 128
WIRE_STORY = """ISTANBUL (Wire) - Negotiators from Turkey, the United Nations and the two warring parties resumed talks on Monday on reviving a corridor for grain shipments across the Black Sea, two officials familiar with the discussions said.
The corridor allowed more than thirty million tonnes of wheat, maize and sunflower oil to leave southern ports before it lapsed in July. Food prices in North Africa and the Middle East rose sharply in the weeks after the suspension.
A senior Turkish diplomat said the delegations were discussing inspection procedures for ships and insurance guarantees for vessels entering the sea lanes. He declined to say when a deal might be announced.
Marine insurers in London said they were watching the talks closely but would not resume cover for the route without written guarantees. Several shipping companies have already rerouted vessels through the Danube ports.
The United Nations secretary general has called the corridor a lifeline for the world's poorest countries and urged all parties to return to the agreement without conditions."""
# The same wire copy as a second outlet ran it: its own headline, its own dateline, tail trimmed.
SYNDICATED_COPY = WIRE_STORY.replace("ISTANBUL (Wire) -", "ISTANBUL, Sept 4 -").rsplit("\n", 1)[0]
OTHER_STORY = """The district council approved its budget for next year on Thursday night by seventeen votes to twelve, after a five-hour debate in which opposition members tried and failed to reverse planned cuts to library opening hours.
Under the plan, four of the district's nine branch libraries will close on Mondays and Wednesdays from April, saving about 310,000 pounds a year. The central library in Market Square will keep its current hours."""
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def make_article(
    url: str, text: str, *, title: str = "Grain talks", source: str = "wire"
) -> NormalizedArticle:
    return NormalizedArticle(
        id=stable_id(url),
        url=url,
        canonical_url=url,
        title=title,
        text=text,
        source_id=source,
        fetched_at=T0,
        content_hash=content_hash(text),
        near_duplicate_signature=near_duplicate_signature(text, num_perm=NUM_PERM, shingle_size=5),
        text_method=TextMethod.TRAFILATURA,
    )


def open_index(tmp_path: Path, threshold: float = 0.6) -> SeenIndex:
    return SeenIndex(tmp_path / "seen.sqlite3", threshold=threshold, num_perm=NUM_PERM)


def record_published(index: SeenIndex, article: NormalizedArticle) -> NormalizedArticle:
    """Record ``article`` as new in run ``r1`` at T0 and mark it published; the recorded copy."""
    first = index.check_and_record(article, run_id="r1", now=T0)
    assert first.article is not None
    index.mark_published([first.article])
    return first.article


def test_new_article_is_accepted_as_version_one(tmp_path: Path) -> None:
    with open_index(tmp_path) as index:
        decision = index.check_and_record(
            make_article("https://a.example/1", WIRE_STORY), run_id="r1", now=T0
        )
    assert decision.verdict == Verdict.NEW and decision.accepted
    assert decision.article is not None
    assert decision.article.version == 1
    assert decision.article.first_seen_at == T0
    assert decision.article.source_count == 1


def test_same_article_again_after_publishing_is_unchanged(tmp_path: Path) -> None:
    article = make_article("https://a.example/1", WIRE_STORY)
    with open_index(tmp_path) as index:
        record_published(index, article)
        decision = index.check_and_record(article, run_id="r2", now=T0 + timedelta(hours=1))
    assert decision.verdict == Verdict.UNCHANGED
    assert not decision.accepted and decision.article is None


def test_changed_text_under_the_same_url_is_a_new_version_not_a_new_article(tmp_path: Path) -> None:
    url = "https://a.example/1"
    with open_index(tmp_path) as index:
        index.check_and_record(make_article(url, WIRE_STORY), run_id="r1", now=T0)
        updated = WIRE_STORY + "\nUpdated at 14:00 with a statement from the ministry."
        decision = index.check_and_record(
            make_article(url, updated), run_id="r2", now=T0 + timedelta(hours=2)
        )
        assert index.article_count() == 1
    assert decision.verdict == Verdict.NEW_VERSION
    assert decision.article is not None
    assert decision.article.id == stable_id(url)
    assert decision.article.version == 2
    assert decision.article.first_seen_at == T0


def test_same_text_under_another_url_is_a_duplicate_counted_once(tmp_path: Path) -> None:
    kept = make_article("https://a.example/1", WIRE_STORY)
    copy = make_article("https://b.example/story", WIRE_STORY, source="other")
    with open_index(tmp_path) as index:
        index.check_and_record(kept, run_id="r1", now=T0)
        first = index.check_and_record(copy, run_id="r1", now=T0)
        again = index.check_and_record(copy, run_id="r2", now=T0)
        counts = index.source_counts([kept.id, copy.id])
    assert first.verdict == Verdict.DUPLICATE and first.kept_id == kept.id
    assert again.verdict == Verdict.DUPLICATE and not again.accepted
    assert counts == {kept.id: 2}


def test_syndicated_copy_with_other_headline_and_trimmed_tail_is_a_near_duplicate(
    tmp_path: Path,
) -> None:
    kept = make_article("https://wire.example/grain", WIRE_STORY)
    copy = make_article(
        "https://paper.example/world/black-sea-grain",
        SYNDICATED_COPY,
        title="Black Sea grain deal back on the table",
        source="paper",
    )
    with open_index(tmp_path) as index:
        index.check_and_record(kept, run_id="r1", now=T0)
        decision = index.check_and_record(copy, run_id="r1", now=T0)
        counts = index.source_counts([kept.id])
    assert decision.verdict == Verdict.NEAR_DUPLICATE
    assert decision.kept_id == kept.id
    assert decision.similarity is not None and decision.similarity >= 0.6
    assert counts[kept.id] == 2


def test_unrelated_article_is_not_collapsed(tmp_path: Path) -> None:
    with open_index(tmp_path) as index:
        index.check_and_record(make_article("https://a.example/1", WIRE_STORY), run_id="r1")
        decision = index.check_and_record(
            make_article("https://a.example/2", OTHER_STORY), run_id="r1"
        )
    assert decision.verdict == Verdict.NEW


def test_state_survives_a_restart_including_near_duplicate_detection(tmp_path: Path) -> None:
    kept = make_article("https://wire.example/grain", WIRE_STORY)
    with open_index(tmp_path) as index:
        record_published(index, kept)
    with open_index(tmp_path) as reopened:
        assert reopened.check_and_record(kept, run_id="r2").verdict == Verdict.UNCHANGED
        near = reopened.check_and_record(
            make_article("https://paper.example/x", SYNDICATED_COPY), run_id="r2"
        )
    assert near.verdict == Verdict.NEAR_DUPLICATE and near.kept_id == kept.id


def test_recorded_but_unpublished_article_is_emitted_again_by_a_later_run_only(
    tmp_path: Path,
) -> None:
    article = make_article("https://a.example/1", WIRE_STORY)
    with open_index(tmp_path) as index:
        index.check_and_record(article, run_id="r1", now=T0)
        same_run = index.check_and_record(article, run_id="r1")
        later_run = index.check_and_record(article, run_id="r2")
    assert same_run.verdict == Verdict.UNCHANGED
    assert later_run.verdict == Verdict.UNPUBLISHED and later_run.accepted
    assert later_run.article is not None and later_run.article.first_seen_at == T0


def test_index_refuses_signatures_of_another_size(tmp_path: Path) -> None:
    with open_index(tmp_path) as index:
        index.check_and_record(make_article("https://a.example/1", WIRE_STORY), run_id="r1")
    with pytest.raises(DedupError, match="num_perm"):
        SeenIndex(tmp_path / "seen.sqlite3", num_perm=64).open()


def _record_in_another_process(db_path: str, urls_and_texts: list[tuple[str, str]]) -> list[str]:
    index = SeenIndex(Path(db_path), threshold=0.6, num_perm=NUM_PERM)
    with index:
        return [
            index.check_and_record(make_article(url, text), run_id="parallel").verdict.value
            for url, text in urls_and_texts
        ]


def test_parallel_processes_keep_exactly_one_copy_of_a_story(tmp_path: Path) -> None:
    db_path = str(tmp_path / "seen.sqlite3")
    batches = [
        [(f"https://outlet{worker}.example/grain", WIRE_STORY if worker % 2 else SYNDICATED_COPY)]
        for worker in range(4)
    ]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        verdicts = [
            v
            for batch in pool.map(_record_in_another_process, [db_path] * 4, batches)
            for v in batch
        ]
    assert Counter(verdicts)[Verdict.NEW.value] == 1
    with open_index(tmp_path) as index:
        assert index.article_count() == 1
        kept_id = stable_id("https://outlet0.example/grain") if verdicts[0] == "new" else None
        counts = index.source_counts(
            [stable_id(f"https://outlet{w}.example/grain") for w in range(4)]
        )
    assert sum(counts.values()) == 4
    if kept_id is not None:
        assert counts[kept_id] == 4


def test_a_copy_in_a_later_run_makes_the_published_article_due_again_with_the_new_count(
    tmp_path: Path,
) -> None:
    kept = make_article("https://wire.example/grain", WIRE_STORY, source="wire")
    copy = make_article("https://paper.example/x", SYNDICATED_COPY, source="paper")
    with open_index(tmp_path) as index:
        first = index.check_and_record(kept, run_id="r1", now=T0)
        assert first.article is not None
        assert index.count_updates(["wire"]) == []  # not published yet: nothing to update
        index.mark_published([first.article])
        assert index.count_updates(["wire", "paper"]) == []
        assert index.check_and_record(copy, run_id="r2").verdict == Verdict.NEAR_DUPLICATE

        assert index.count_updates(["wire"]) == []  # the copy came from another source
        [update] = index.count_updates(["paper"])
        assert update == first.article.model_copy(update={"source_count": 2})

        index.mark_published([update])
        assert index.count_updates(["paper"]) == []
        # Seeing the same copy again is not one more source.
        index.check_and_record(copy, run_id="r3")
        assert index.count_updates(["paper"]) == []


def test_an_index_written_before_records_were_kept_is_upgraded_in_place(
    tmp_path: Path,
) -> None:
    import sqlite3

    from newswire.ingest.dedup.index import _ADDED_COLUMNS

    kept = make_article("https://wire.example/grain", WIRE_STORY, source="wire")
    with open_index(tmp_path) as index:
        record_published(index, kept)
    # Rebuild the table as the first release wrote it: no record, no published count.
    db = sqlite3.connect(tmp_path / "seen.sqlite3")
    with db:
        for column in _ADDED_COLUMNS:
            db.execute(f"ALTER TABLE articles DROP COLUMN {column}")
    db.close()

    with open_index(tmp_path) as index:
        copy = make_article("https://paper.example/x", SYNDICATED_COPY, source="paper")
        assert index.check_and_record(copy, run_id="r2").verdict == Verdict.NEAR_DUPLICATE
        # The old row has no record to re-send yet; the next sighting of the article keeps one.
        assert index.count_updates(["paper"]) == []
        assert index.check_and_record(kept, run_id="r3").verdict == Verdict.UNCHANGED
        [update] = index.count_updates(["paper"])
    assert (update.id, update.version, update.source_count) == (kept.id, 1, 2)
    assert update.text == kept.text
