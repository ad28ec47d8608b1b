from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from consumers.alerter.actors import ActorTerm, term_from_gazetteer_entry
from consumers.alerter.developments import fold_event, start_development
from consumers.alerter.matching import matches, mismatch, notification_key, plan_alerts
from consumers.alerter.subscriptions import (
    ResolvedSubscription,
    load_subscriptions,
    parse_catalogue,
    resolve_subscription,
)
from newswire.extract.gazetteer import GazetteerEntry
from schemas.events import ActorKind, ActorRef
from schemas.notifications import NotificationKind

NOW = datetime(2024, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def subs(fixtures_dir: Path) -> dict[str, ResolvedSubscription]:
    loaded = load_subscriptions(fixtures_dir / "subscriptions.yaml", require_secrets=False)
    return {sub.id: sub for sub in loaded}


def one_sub(yaml_body: str) -> ResolvedSubscription:
    text = (
        "subscriptions:\n  - id: s\n    channels: [{type: webhook, url: 'http://127.0.0.1:1/'}]\n"
    )
    catalogue = parse_catalogue(text + yaml_body, "inline")
    return resolve_subscription(catalogue.subscriptions[0], None)


def test_actors_all_needs_every_actor(make_event, subs) -> None:
    dev = start_development(make_event("call_held"), "d" * 32, 0, NOW)
    assert matches(subs["macron-putin"], dev)
    scholz = start_development(make_event("scholz_putin_call"), "e" * 32, 0, NOW)
    assert mismatch(subs["macron-putin"], scholz) == "actor 'Emmanuel Macron' absent"


def test_a_surname_term_matches_a_person(make_event) -> None:
    sub = one_sub("    event_types: [LEADER_CONTACT]\n    actors_any: [putin]\n")
    assert matches(sub, start_development(make_event("scholz_putin_call"), "e" * 32, 0, NOW))


def test_min_sources_waits_for_independent_sources(make_event, subs) -> None:
    sub = subs["putin-any-contact"]
    dev = start_development(make_event("call_held", "lemonde"), "d" * 32, 0, NOW)
    dev = fold_event(dev, make_event("call_held", "lemonde", event_id="1" * 32), NOW).development
    assert dev.source_count == 1  # two reports, one source
    dev = fold_event(dev, make_event("call_held", "bbc"), NOW).development
    assert mismatch(sub, dev) == "2 source(s), fewer than 3"
    dev = fold_event(dev, make_event("call_held", "reuters"), NOW).development
    assert matches(sub, dev)


def test_negated_troops_do_not_match_default_modalities(make_event, subs) -> None:
    dev = start_development(make_event("troops_ruled_out"), "d" * 32, 0, NOW)
    assert mismatch(subs["troops"], dev) == "modality negated not subscribed"
    planned = start_development(make_event("troops_planned"), "e" * 32, 0, NOW)
    assert matches(subs["troops"], planned)


def test_keywords_countries_and_confidence(make_event) -> None:
    sub = one_sub(
        "    event_types: [TROOP_DEPLOYMENT]\n    keywords: [Kyiv]\n    countries: [FR]\n"
    )
    dev = start_development(make_event("troops_planned"), "d" * 32, 0, NOW)
    assert mismatch(sub, dev) == "no keyword in the evidence"
    kyiv = start_development(
        make_event("troops_planned", evidence="France will send instructors to Kyiv."),
        "d" * 32,
        0,
        NOW,
    )
    assert matches(sub, kyiv)
    confident = one_sub("    event_types: [TROOP_DEPLOYMENT]\n    min_confidence: 0.95\n")
    assert mismatch(confident, dev) == "confidence 0.80 below 0.95"
    elsewhere = one_sub("    event_types: [TROOP_DEPLOYMENT]\n    countries: [DE]\n")
    assert mismatch(elsewhere, dev) == "no actor of the listed countries"


def test_a_gazetteer_country_term_covers_people_of_that_country() -> None:
    term = term_from_gazetteer_entry(
        "France",
        GazetteerEntry(
            id="Q142",
            name="France",
            kind=ActorKind.COUNTRY,
            role=None,
            country="FR",
            western=True,
            aliases=("French Republic",),
            titles=(),
            demonyms=(),
        ),
    )
    assert term.actor_id == "Q142"
    macron = ActorRef(id="Q3052772", name="Emmanuel Macron", country="FR")
    assert term.matches(macron)
    assert term.matches(ActorRef(id="Q142", name="République française", kind=ActorKind.COUNTRY))
    assert not ActorTerm("Emmanuel Macron").matches(ActorRef(id="Q7747", name="Vladimir Putin"))


def test_first_match_alerts_new_then_only_a_modality_bump_alerts_again(make_event, subs) -> None:
    sub = [subs["macron-putin"]]
    planned = make_event("call_planned", "lemonde")
    dev = start_development(planned, "d" * 32, 0, NOW)
    dev, plans = plan_alerts(sub, dev, planned, NOW)
    assert [p.kind for p in plans] == [NotificationKind.NEW]
    assert plans[0].idempotency_key == notification_key("macron-putin", "d" * 32, 1)
    for source in ("bbc", "afp"):
        result = fold_event(dev, make_event("call_planned", source), NOW)
        dev, plans = plan_alerts(sub, result.development, planned, NOW)
        assert plans == []
    held = make_event("call_held", "reuters")
    dev, plans = plan_alerts(sub, fold_event(dev, held, NOW).development, held, NOW)
    assert [(p.kind, p.changes) for p in plans] == [
        (NotificationKind.UPDATE, ("modality changed from planned to asserted",))
    ]
    assert plans[0].development.version == 2
    again = make_event("call_held", "dpa")
    _, plans = plan_alerts(sub, fold_event(dev, again, NOW).development, again, NOW)
    assert plans == []


def test_a_subscription_that_starts_matching_late_gets_a_new_alert(make_event) -> None:
    asserted_only = one_sub("    event_types: [LEADER_CONTACT]\n    modalities: [asserted]\n")
    planned = make_event("call_planned")
    dev, plans = plan_alerts(
        [asserted_only], start_development(planned, "d" * 32, 0, NOW), planned, NOW
    )
    assert plans == []
    held = make_event("call_held", "bbc")
    _, plans = plan_alerts([asserted_only], fold_event(dev, held, NOW).development, held, NOW)
    assert [(p.kind, p.development.version) for p in plans] == [(NotificationKind.NEW, 2)]


def test_the_extractors_gazetteer_resolves_subscription_terms(make_event) -> None:
    from consumers.alerter.actors import gazetteer_resolver
    from consumers.alerter.settings import DEFAULT_SUBSCRIPTIONS_FILE

    resolver = gazetteer_resolver()
    assert resolver is not None
    putin = resolver("Putin")
    assert putin is not None and putin.actor_id == "Q7747"
    loaded = {
        sub.id: sub
        for sub in load_subscriptions(
            DEFAULT_SUBSCRIPTIONS_FILE, resolver=resolver, require_secrets=False
        )
    }
    assert [t.actor_id for t in loaded["macron-putin"].actors_all] == ["Q3052772", "Q7747"]
    # "Germany" is a country term: a deployment announced by Germany's chancellor matches it.
    troops_by_scholz = make_event(
        "troops_planned",
        actors=[
            {
                "id": "Q61053",
                "name": "Olaf Scholz",
                "country": "DE",
                "mention": "the German chancellor",
            }
        ],
        evidence="The German chancellor said troops would be sent to Ukraine next spring.",
    )
    assert "Olaf Scholz" not in loaded["troops-to-ukraine"].subscription.actors_any
    dev = start_development(troops_by_scholz, "d" * 32, 0, NOW)
    assert matches(loaded["troops-to-ukraine"], dev)
    unresolved = load_subscriptions(DEFAULT_SUBSCRIPTIONS_FILE, require_secrets=False)
    assert not matches(next(s for s in unresolved if s.id == "troops-to-ukraine"), dev)
