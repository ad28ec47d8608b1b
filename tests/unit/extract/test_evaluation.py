"""Scoring as the independent check scores: evidence overlap, then shared participants."""

from __future__ import annotations

from datetime import UTC, date, datetime

from newswire.extract.evaluation import (
    Article,
    EvalReport,
    GoldEvent,
    ParticipantKeys,
    score_article,
    shares_participants,
    surname,
)
from schemas.base import stable_id
from schemas.events import ActorKind, ActorRef, Event, EventType, Modality

TEXT = (
    "Macron spoke with Putin by phone on Monday, the Elysee said. "
    "Russian drones hit Odesa overnight, the governor said. "
    "The two leaders last talked in 2022."
)


def _event(kind: EventType, start: int, end: int, names: list[str], modality: Modality) -> Event:
    return Event(
        event_id=stable_id("e", kind.value, str(start), ",".join(names)),
        article_id="a1",
        type=kind,
        actors=tuple(
            ActorRef(id=f"newswire:person-{n.lower()}", name=n, kind=ActorKind.PERSON)
            for n in names
        ),
        modality=modality,
        evidence=TEXT[start:end],
        evidence_start=start,
        evidence_end=end,
        confidence=0.9,
        extracted_at=datetime(2025, 1, 1, tzinfo=UTC),
        extractor_version="test",
    )


def _article(events: tuple[GoldEvent, ...]) -> Article:
    return Article("a1", "tune", None, TEXT, date(2025, 3, 4), events, "https://x", "t")


CONTACT = GoldEvent(
    EventType.LEADER_CONTACT, (0, 42), ("Macron", "Putin"), Modality.ASSERTED, None, False
)
STRIKE = GoldEvent(
    EventType.MILITARY_ACTION, (61, 95), ("Russia", "Ukraine"), Modality.ASSERTED, None, False
)
BACKGROUND = GoldEvent(
    EventType.LEADER_CONTACT, None, ("Macron", "Putin"), Modality.ASSERTED, None, True
)


def test_surname_folds_case_accents_and_possessives() -> None:
    assert surname("Emmanuel Macron") == "macron"
    assert surname("Jean-Noël BARROT") == "barrot"
    assert surname("Zelensky's") == "zelensky"


def test_shares_participants_needs_two_or_all_when_fewer() -> None:
    macron, putin = frozenset({"macron"}), frozenset({"putin"})
    assert shares_participants([macron, putin], frozenset({"macron", "putin"}))
    assert not shares_participants([macron, putin], frozenset({"macron"}))
    assert shares_participants([macron], frozenset({"macron", "scholz"}))
    assert not shares_participants([], frozenset({"macron"}))


def test_evidence_overlap_matches_and_modality_is_scored_on_matches() -> None:
    report = EvalReport(split="t", extractor_version="v")
    predicted = [
        _event(EventType.LEADER_CONTACT, 0, 60, ["Macron", "Putin"], Modality.ASSERTED),
        _event(EventType.MILITARY_ACTION, 61, 116, ["Drone"], Modality.REPORTED),
    ]
    score_article(report, _article((CONTACT, STRIKE)), predicted, ParticipantKeys(None))
    data = report.to_dict()
    assert data["matched"] == 2 and data["precision"] == 1.0 and data["recall"] == 1.0
    assert data["modality_accuracy"] == 0.5
    assert data["matched_by_evidence"] == 1.0


def test_participants_match_when_spans_do_not_and_a_second_prediction_is_a_false_alarm() -> None:
    report = EvalReport(split="t", extractor_version="v")
    predicted = [
        _event(EventType.LEADER_CONTACT, 117, 151, ["Macron", "Putin"], Modality.ASSERTED),
        _event(EventType.LEADER_CONTACT, 117, 151, ["Macron", "Putin"], Modality.ASSERTED),
    ]
    score_article(report, _article((BACKGROUND,)), predicted, ParticipantKeys(None))
    score = report.per_type[EventType.LEADER_CONTACT]
    assert (score.tp, score.fp, score.fn) == (1, 1, 0)
    assert report.to_dict()["matched_by_evidence"] == 0.0


def test_a_type_mismatch_is_a_miss_and_a_false_alarm_and_negatives_are_counted() -> None:
    report = EvalReport(split="t", extractor_version="v")
    wrong = [_event(EventType.DIPLOMATIC_PROTEST, 0, 60, ["Macron", "Putin"], Modality.ASSERTED)]
    score_article(report, _article((CONTACT,)), wrong, ParticipantKeys(None))
    score_article(report, _article(()), wrong, ParticipantKeys(None))
    data = report.to_dict()
    assert data["per_type"]["LEADER_CONTACT"]["recall"] == 0.0
    assert data["per_type"]["DIPLOMATIC_PROTEST"]["false_alarms"] == 2
    assert (data["hard_negatives"], data["hard_negatives_with_events"]) == (1, 1)
    assert any("missed LEADER_CONTACT" in line for line in report.errors)


def test_a_second_prediction_on_a_taken_span_is_a_false_alarm_not_another_match() -> None:
    report = EvalReport(split="t", extractor_version="v")
    twice = [
        _event(EventType.LEADER_CONTACT, 0, 60, ["Macron", "Putin"], Modality.ASSERTED),
        _event(EventType.LEADER_CONTACT, 0, 60, ["Macron", "Putin"], Modality.ASSERTED),
    ]
    score_article(report, _article((CONTACT, BACKGROUND)), twice, ParticipantKeys(None))
    score = report.per_type[EventType.LEADER_CONTACT]
    assert (score.tp, score.fp, score.fn) == (1, 1, 1)
