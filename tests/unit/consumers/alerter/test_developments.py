from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from consumers.alerter.developments import (
    candidate_ids,
    choose_development,
    development_id,
    evidence_overlap,
    evidence_tokens,
    fold_event,
    free_slot,
    modality_change,
    source_key,
    start_development,
)
from schemas.events import Modality

NOW = datetime(2024, 3, 18, 12, 0, tzinfo=UTC)


def test_development_id_is_deterministic_and_ignores_actor_order(make_event) -> None:
    first = make_event("call_held", "lemonde")
    reordered = make_event(
        "call_held", "bbc", actors=[a.model_dump(mode="json") for a in reversed(first.actors)]
    )
    assert candidate_ids(first, 3) == candidate_ids(reordered, 3)
    assert candidate_ids(first, 3)[0] == development_id(
        first.type, "Q3052772|Q7747", date(2024, 3, 18), 0
    )


def test_candidates_cover_the_window_nearest_day_first(make_event) -> None:
    event = make_event("call_held")
    ids = candidate_ids(event, 2)
    assert len(ids) == 5 * 3
    key = "Q3052772|Q7747"
    assert ids[3] == development_id(event.type, key, date(2024, 3, 17), 0)
    assert development_id(event.type, key, date(2024, 3, 20), 2) in ids
    assert development_id(event.type, key, date(2024, 3, 21), 0) not in ids


def test_reports_of_the_same_call_join_one_development(make_event) -> None:
    founder = make_event("call_held", "lemonde")
    dev = start_development(founder, candidate_ids(founder, 3)[0], 0, NOW)
    other = make_event(
        "call_held",
        "bbc",
        evidence="Macron and Putin spoke by phone on Monday about the war in Ukraine.",
        event_date="2024-03-19",
    )
    assert choose_development(other, [dev], window_days=3, overlap_min=0.2) == dev


def test_reports_outside_the_window_or_of_another_type_start_a_new_development(make_event) -> None:
    founder = make_event("call_held", "lemonde")
    dev = start_development(founder, candidate_ids(founder, 3)[0], 0, NOW)
    later = make_event("call_held", "bbc", event_date="2024-03-25")
    assert choose_development(later, [dev], window_days=3, overlap_min=0.2) is None
    leak = make_event("call_held", "bbc", type="CONFIDENTIAL_LEAK")
    assert choose_development(leak, [dev], window_days=3, overlap_min=0.2) is None


def test_unrelated_evidence_takes_the_next_slot_of_the_day(make_event) -> None:
    founder = make_event("call_held", "lemonde")
    dev = start_development(founder, candidate_ids(founder, 3)[0], 0, NOW)
    unrelated = make_event("call_held", "bbc", evidence="Zelensky toured grain silos near Odesa.")
    assert choose_development(unrelated, [dev], window_days=3, overlap_min=0.2) is None
    slot = free_slot(unrelated, [dev.development_id])
    assert slot is not None and slot[1] == 1


def test_folding_counts_independent_sources_once_and_replays_change_nothing(make_event) -> None:
    founder = make_event("call_held", "lemonde")
    dev = start_development(founder, "d" * 32, 0, NOW)
    for i in range(5):
        same_source = make_event("call_held", "lemonde", event_id=f"{i:032x}")
        dev = fold_event(dev, same_source, NOW).development
    bbc = make_event("call_held", "bbc")
    dev = fold_event(dev, bbc, NOW + timedelta(minutes=1)).development
    assert dev.source_count == 2
    assert len(dev.event_ids) == 7
    replay = fold_event(dev, bbc, NOW + timedelta(minutes=2))
    assert not replay.applied and replay.development == dev


def test_planned_then_asserted_bumps_the_version_once(make_event) -> None:
    planned = make_event("call_planned", "lemonde")
    dev = start_development(planned, "d" * 32, 0, NOW)
    held = fold_event(dev, make_event("call_held", "bbc"), NOW)
    assert held.modality_change is not None
    assert held.modality_change.describe() == "modality changed from planned to asserted"
    assert held.development.version == 2 and held.development.modality is Modality.ASSERTED
    again = fold_event(held.development, make_event("call_held", "reuters"), NOW)
    assert again.modality_change is None and again.development.version == 2


def test_modality_changes_that_matter() -> None:
    assert modality_change(Modality.HYPOTHETICAL, Modality.PLANNED) is not None
    assert modality_change(Modality.PLANNED, Modality.ASSERTED) is not None
    assert modality_change(Modality.NEGATED, Modality.PLANNED) is not None
    assert modality_change(Modality.REPORTED, Modality.ASSERTED) is None
    assert modality_change(Modality.ASSERTED, Modality.PLANNED) is None
    assert modality_change(Modality.ASSERTED, Modality.NEGATED) is None


def test_evidence_overlap_uses_content_words() -> None:
    a = evidence_tokens("Macron held a call with Putin on Monday.")
    b = evidence_tokens("Putin and Macron spoke on Monday.")
    assert "the" not in a and "macron" in a
    assert evidence_overlap(a, b) == 0.75  # 3 shared of the 4 words of the smaller set
    assert evidence_overlap(a, evidence_tokens("Grain exports rose.")) == 0.0
    assert evidence_overlap(a, frozenset()) == 0.0


def test_source_key_prefers_source_id_then_host(make_event) -> None:
    assert source_key(make_event("call_held", "lemonde")) == "source:lemonde"
    no_source = make_event("call_held", "lemonde", source_id=None)
    assert source_key(no_source) == "host:lemonde.example"
    bare = make_event("call_held", "lemonde", source_id=None, article_url=None)
    assert source_key(bare) == f"article:{bare.article_id}"


def test_an_asserted_report_published_before_the_event_date_is_no_follow_up(make_event) -> None:
    planned = make_event(
        "call_planned", "lemonde", event_date="2024-04-01", published_at="2024-03-10T08:00:00Z"
    )
    early = make_event(
        "call_held", "bbc", event_date="2024-04-01", published_at="2024-03-10T09:00:00Z"
    )
    dev = start_development(planned, "d", 0, NOW)
    result = fold_event(dev, early, NOW)
    assert result.applied and result.modality_change is None
    assert result.development.modality is Modality.PLANNED and result.development.version == 1
    assert result.development.source_count == 2
    # The other order: the misread report founds the development as planned.
    founded = start_development(early, "d", 0, NOW)
    assert founded.modality is Modality.PLANNED
    # Published on or after the date, it is news.
    late = make_event(
        "call_held", "afp", event_date="2024-04-01", published_at="2024-04-01T10:00:00Z"
    )
    after = fold_event(dev, late, NOW)
    assert after.modality_change is not None and after.development.version == 2
