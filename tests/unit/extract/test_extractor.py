from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from newswire.extract.extractor import ArticleInput, EventExtractor
from schemas.articles import NormalizedArticle, TextMethod
from schemas.base import stable_id
from schemas.events import Event, EventType, Modality

ARTICLE_ID = stable_id("test-article")
MACRON, PUTIN, ZELENSKYY, LAVROV = "Q3052772", "Q7747", "Q3874799", "newswire:sergey-lavrov"


def _of_type(events: list[Event], event_type: EventType) -> list[Event]:
    return [e for e in events if e.type is event_type]


def _actor_ids(event: Event) -> set[str]:
    return {actor.id for actor in event.actors}


def test_a_call_yields_one_contact_event_with_resolved_actors_and_date(
    extractor: EventExtractor,
) -> None:
    text = (
        "French President Emmanuel Macron spoke by phone with Russian President Vladimir Putin "
        "on Tuesday, the Elysee said."
    )
    events = extractor.extract_text(ARTICLE_ID, text, published=date(2025, 3, 19))
    assert len(events) == 1
    event = events[0]
    assert event.type is EventType.LEADER_CONTACT
    assert _actor_ids(event) == {MACRON, PUTIN}
    assert event.modality is Modality.ASSERTED
    assert event.event_date == date(2025, 3, 18)
    assert text[event.evidence_start : event.evidence_end] == event.evidence
    assert event.extractor_version == extractor.version


def test_same_article_extracted_twice_gets_the_same_event_ids(extractor: EventExtractor) -> None:
    text = "Zelenskiy met Trump in Rome on Saturday. Trump said he would call Putin next week."
    first = extractor.extract_text(ARTICLE_ID, text, published=date(2025, 4, 26))
    second = extractor.extract_text(ARTICLE_ID, text, published=date(2025, 4, 26))
    assert [e.event_id for e in first] == [e.event_id for e in second]
    assert len({e.event_id for e in first}) == len(first) == 2


def test_repeated_mentions_merge_into_one_event(extractor: EventExtractor) -> None:
    text = (
        "Macron and Putin spoke by phone on Tuesday. The call between Macron and Putin lasted "
        "two hours. During the conversation, Macron urged Putin to accept a ceasefire."
    )
    events = extractor.extract_text(ARTICLE_ID, text, published=date(2025, 3, 19))
    contacts = _of_type(events, EventType.LEADER_CONTACT)
    assert len(contacts) == 1
    assert contacts[0].mentions >= 2
    assert contacts[0].evidence.startswith("Macron and Putin spoke by phone")


def test_historical_background_keeps_its_own_date(extractor: EventExtractor) -> None:
    text = "Macron first hosted Putin at Versailles in 2017. Macron spoke with Putin on Monday."
    events = extractor.extract_text(ARTICLE_ID, text, published=date(2025, 3, 19))
    contacts = sorted(_of_type(events, EventType.LEADER_CONTACT), key=lambda e: e.evidence_start)
    assert [(e.event_date, e.historical) for e in contacts] == [
        (date(2017, 1, 1), True),
        (date(2025, 3, 17), False),
    ]


def test_two_leaders_mentioned_without_contact_is_no_event(extractor: EventExtractor) -> None:
    text = "Macron and Putin both addressed their nations on Tuesday evening."
    assert extractor.extract_text(ARTICLE_ID, text, published=date(2025, 3, 19)) == []


def test_arms_deliveries_are_not_troop_deployments(extractor: EventExtractor) -> None:
    text = "Germany sent four more Patriot systems and 100 armoured vehicles to Ukraine this year."
    assert extractor.extract_text(ARTICLE_ID, text, published=date(2025, 3, 19)) == []


def test_a_rebuke_of_the_press_is_not_a_diplomatic_protest(extractor: EventExtractor) -> None:
    text = "Zakharova accused the BBC of spreading lies about the war on Tuesday."
    assert extractor.extract_text(ARTICLE_ID, text, published=date(2025, 3, 19)) == []


def test_troops_ruled_out_are_a_negated_deployment(extractor: EventExtractor) -> None:
    text = "German Chancellor Olaf Scholz ruled out sending German soldiers to Ukraine."
    events = extractor.extract_text(ARTICLE_ID, text, published=date(2025, 1, 10))
    (deployment,) = _of_type(events, EventType.TROOP_DEPLOYMENT)
    assert deployment.modality is Modality.NEGATED


@pytest.mark.parametrize(
    "text",
    [
        "Britain will deploy 200 instructors to Ukraine next month, the defence ministry said.",
        "The United Kingdom is to station 200 instructors in Ukraine from next month, "
        "officials said.",
    ],
)
def test_an_announcement_for_next_month_is_planned_however_it_is_phrased(
    extractor: EventExtractor, text: str
) -> None:
    events = extractor.extract_text(ARTICLE_ID, text, published=date(2025, 3, 3))
    (deployment,) = _of_type(events, EventType.TROOP_DEPLOYMENT)
    assert deployment.modality is Modality.PLANNED
    assert deployment.event_date == date(2025, 4, 1)


def test_strikes_in_another_war_are_not_our_events(extractor: EventExtractor) -> None:
    other_war = (
        "NEW DELHI, May 7 - India carried out missile strikes on nine sites in Pakistan "
        "overnight, the Indian army said."
    )
    assert extractor.extract_text(ARTICLE_ID, other_war, published=date(2025, 5, 7)) == []
    ours = "Russia carried out missile strikes on Kharkiv overnight, the Ukrainian army said."
    events = extractor.extract_text(ARTICLE_ID, ours, published=date(2025, 5, 7))
    assert _of_type(events, EventType.MILITARY_ACTION)


def test_off_topic_text_yields_nothing(extractor: EventExtractor) -> None:
    text = "The bakery on Main Street sold out of bread by noon. Rain is expected tomorrow."
    assert extractor.extract_text(ARTICLE_ID, text) == []


def test_a_normalized_article_passes_its_metadata_to_events(extractor: EventExtractor) -> None:
    published = datetime(2025, 8, 7, 9, 30, tzinfo=UTC)
    article = NormalizedArticle(
        id=ARTICLE_ID,
        version=3,
        url="https://example.test/witkoff",
        title="Witkoff meets Putin",
        text="Steve Witkoff met Vladimir Putin in the Kremlin on Wednesday.",
        published_at=published,
        source_id="example-wire",
        fetched_at=published,
        first_seen_at=published,
        content_hash="0" * 64,
        text_method=TextMethod.PLAIN_TEXT,
    )
    (event,) = extractor.extract(article)
    assert (event.article_id, event.article_version, event.source_id) == (
        ARTICLE_ID,
        3,
        "example-wire",
    )
    assert (event.article_url, event.article_title) == (article.url, article.title)
    assert (event.published_at, event.first_seen_at) == (published, published)
    assert event.event_date == date(2025, 8, 6)
    assert event.extracted_at is not None


def test_a_leading_dateline_stands_in_for_the_publication_date() -> None:
    item = ArticleInput.from_text(ARTICLE_ID, " date 2022-07-07 Russia on Wednesday slammed it.")
    assert item.published == date(2022, 7, 7)


def test_seed_002_leaked_conversation_feb_20_and_lavrovs_rebuke(
    extractor: EventExtractor, seeds_dir: Path
) -> None:
    text = (seeds_dir / "002_76f42d9db3e3c83c.txt").read_text(encoding="utf-8")
    events = extractor.extract_text(ARTICLE_ID, text)
    leaks = _of_type(events, EventType.CONFIDENTIAL_LEAK)
    assert any(_actor_ids(e) == {MACRON, PUTIN} and not e.historical for e in leaks)
    assert any(e.historical and e.event_date == date(2020, 1, 1) for e in leaks)
    contacts = _of_type(events, EventType.LEADER_CONTACT)
    feb_20 = [e for e in contacts if e.event_date == date(2022, 2, 20)]
    assert len(feb_20) == 1
    assert _actor_ids(feb_20[0]) == {MACRON, PUTIN}
    assert feb_20[0].historical
    (rebuke,) = _of_type(events, EventType.DIPLOMATIC_PROTEST)
    assert {LAVROV, MACRON} <= _actor_ids(rebuke)
    assert rebuke.event_date == date(2022, 7, 6)
    assert rebuke.modality is Modality.ASSERTED
    biden = [e for e in contacts if "Q6279" in _actor_ids(e)]
    assert [e.modality for e in biden] == [Modality.NEGATED]


def test_seed_000_leaked_call_and_reported_nato_presence(
    extractor: EventExtractor, seeds_dir: Path
) -> None:
    text = (seeds_dir / "000_4cbe64c3db010b32.txt").read_text(encoding="utf-8")
    events = extractor.extract_text(ARTICLE_ID, text)
    assert {e.type for e in events} == {
        EventType.LEADER_CONTACT,
        EventType.CONFIDENTIAL_LEAK,
        EventType.TROOP_DEPLOYMENT,
    }
    (leak,) = _of_type(events, EventType.CONFIDENTIAL_LEAK)
    assert _actor_ids(leak) == {MACRON, PUTIN}
    assert leak.mentions >= 2
    (presence,) = _of_type(events, EventType.TROOP_DEPLOYMENT)
    assert _actor_ids(presence) == {"Q7184"}
    assert presence.modality is Modality.REPORTED


def test_seed_003_conditional_estonian_troops_and_reported_strikes(
    extractor: EventExtractor, seeds_dir: Path
) -> None:
    text = (seeds_dir / "003_380790700f85f489.txt").read_text(encoding="utf-8")
    events = extractor.extract_text(ARTICLE_ID, text)
    (troops,) = _of_type(events, EventType.TROOP_DEPLOYMENT)
    assert _actor_ids(troops) == {"Q191"}
    assert troops.modality is Modality.HYPOTHETICAL
    (contact,) = _of_type(events, EventType.LEADER_CONTACT)
    assert _actor_ids(contact) == {PUTIN, "newswire:steve-witkoff"}
    strikes = _of_type(events, EventType.MILITARY_ACTION)
    assert len(strikes) == 2
    assert {e.modality for e in strikes} == {Modality.REPORTED}


@pytest.fixture(scope="module")
def rules_only() -> EventExtractor:
    from newswire.extract.settings import ExtractSettings

    return EventExtractor(ExtractSettings(decide=False)).open()


def _protest_countries(events: list[Event]) -> list[list[str | None]]:
    return [[a.country for a in e.actors] for e in _of_type(events, EventType.DIPLOMATIC_PROTEST)]


def test_a_rebuke_phrased_as_speech_is_a_protest_at_the_other_government(
    rules_only: EventExtractor,
) -> None:
    text = "Ukrainian Foreign Minister Andrii Sybiha called Hungary's remarks unacceptable."
    events = rules_only.extract_text(ARTICLE_ID, text, published=date(2025, 1, 28))
    assert _protest_countries(events) == [["UA", "HU"]]


def test_an_envoy_summoned_is_a_protest_and_a_passive_call_in_takes_the_protester_from_before(
    rules_only: EventExtractor,
) -> None:
    active = rules_only.extract_text(
        ARTICLE_ID,
        "Romania summoned Russia's ambassador on Wednesday.",
        published=date(2025, 9, 1),
    )
    assert _protest_countries(active) == [["RO", "RU"]]
    passive = rules_only.extract_text(
        ARTICLE_ID,
        "Moscow accused Paris of meddling on Monday. "
        "France's ambassador was also called in on Tuesday.",
        published=date(2025, 9, 1),
    )
    assert ["RU", "FR"] in _protest_countries(passive)


def test_a_call_for_something_is_no_summons(rules_only: EventExtractor) -> None:
    events = rules_only.extract_text(
        ARTICLE_ID, "Romania called on Russia's ambassador to explain.", published=date(2025, 9, 1)
    )
    assert _of_type(events, EventType.DIPLOMATIC_PROTEST) == []
