from __future__ import annotations

from datetime import UTC, date, datetime

from newswire.extract.dates import Granularity, ResolvedDate
from newswire.extract.gazetteer import load_gazetteer
from newswire.extract.merge import (
    ArticleFacts,
    ArticleMention,
    build_events,
    event_id_for,
    merge_mentions,
)
from schemas.events import EventType, Modality

GAZETTEER = load_gazetteer()
ARTICLE_ID = "a" * 32
TEXT = "x" * 200


def _mention(
    *names: str,
    start: int = 0,
    when: date | None = None,
    modality: Modality = Modality.ASSERTED,
    event_type: EventType = EventType.LEADER_CONTACT,
) -> ArticleMention:
    actors = tuple(e for n in names if (e := GAZETTEER.lookup(n)) is not None)
    return ArticleMention(
        event_type=event_type,
        actors=actors,
        actor_texts=names,
        modality=modality,
        trigger="call",
        trigger_lemma="call",
        evidence_start=start,
        evidence_end=start + 10,
        date=None if when is None else ResolvedDate(when, Granularity.DAY, str(when)),
        historical=False,
        location=None,
        confidence=0.8,
    )


def _build(mentions: list[ArticleMention]) -> list[str]:
    events = build_events(
        ArticleFacts(ARTICLE_ID),
        TEXT,
        merge_mentions(mentions),
        extractor_version="test",
        extracted_at=datetime(2025, 1, 1, tzinfo=UTC),
        country_entry=lambda code: None,
    )
    return [e.event_id for e in events]


def test_mentions_of_the_same_call_merge_even_when_only_one_gives_a_date() -> None:
    clusters = merge_mentions(
        [
            _mention("Macron", "Putin", when=date(2025, 3, 18)),
            _mention("Putin", "Macron", start=50),
        ]
    )
    assert len(clusters) == 1
    assert len(clusters[0].mentions) == 2


def test_calls_on_different_days_stay_separate() -> None:
    clusters = merge_mentions(
        [
            _mention("Macron", "Putin", when=date(2025, 3, 18)),
            _mention("Macron", "Putin", start=50, when=date(2025, 2, 1)),
        ]
    )
    assert len(clusters) == 2


def test_a_planned_meeting_is_not_merged_into_a_past_call() -> None:
    clusters = merge_mentions(
        [
            _mention("Trump", "Putin"),
            _mention("Trump", "Putin", start=50, modality=Modality.PLANNED),
        ]
    )
    assert len(clusters) == 2


def test_contacts_with_different_people_of_the_same_countries_stay_separate() -> None:
    clusters = merge_mentions([_mention("Witkoff", "Putin"), _mention("Trump", "Putin", start=50)])
    assert len(clusters) == 2


def test_event_ids_are_deterministic_and_distinct() -> None:
    mentions = [
        _mention("Macron", "Putin", when=date(2025, 3, 18)),
        _mention("Macron", "Zelensky", start=50),
    ]
    first, second = _build(mentions), _build(mentions)
    assert first == second
    assert len(set(first)) == 2
    expected = event_id_for(
        ARTICLE_ID, EventType.LEADER_CONTACT, ["Q3052772", "Q7747"], "2025-03-18/day"
    )
    assert first[0] == expected


def test_colliding_keys_get_an_ordinal_instead_of_a_duplicate_id() -> None:
    ids = _build(
        [
            _mention("Russia", event_type=EventType.SANCTIONS_OR_ASSETS),
            _mention(
                "Russia",
                start=50,
                modality=Modality.NEGATED,
                event_type=EventType.SANCTIONS_OR_ASSETS,
            ),
        ]
    )
    assert len(ids) == len(set(ids)) == 2
