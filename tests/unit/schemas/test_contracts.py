"""The contracts are frozen, strict, versioned and round-trip through JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from newswire_testing.fixtures import SIGNED_SUBSCRIPTION
from pydantic import ValidationError

from schemas import (
    ActorRef,
    Event,
    EventType,
    Modality,
    NormalizedArticle,
    SubscriptionCatalogue,
    TextMethod,
    event_type_codes,
)
from schemas.base import stable_id
from schemas.indices import ARTICLES_INDEX, EVENTS_INDEX, INDICES
from schemas.topics import ARTICLES, EVENTS, all_topic_names, topic


def make_article(**overrides: object) -> NormalizedArticle:
    data: dict[str, object] = {
        "id": stable_id("https://example.org/a"),
        "url": "https://example.org/a",
        "canonical_url": "https://example.org/a",
        "title": "Macron and Putin speak by phone",
        "text": "French President Emmanuel Macron spoke with Vladimir Putin on Tuesday.",
        "source_id": "example-feed",
        "fetched_at": "2026-11-20T10:00:00Z",
        "first_seen_at": "2026-11-20T10:00:00Z",
        "content_hash": "a" * 64,
        "text_method": "trafilatura",
    }
    data.update(overrides)
    return NormalizedArticle.model_validate_json(json.dumps(data))


def make_event(**overrides: object) -> Event:
    data: dict[str, object] = {
        "event_id": stable_id("article", "LEADER_CONTACT"),
        "article_id": stable_id("https://example.org/a"),
        "type": "LEADER_CONTACT",
        "actors": [
            {"id": "Q3052772", "name": "Emmanuel Macron", "country": "FR"},
            {"id": "Q7747", "name": "Vladimir Putin", "country": "RU"},
        ],
        "modality": "asserted",
        "event_date": "2026-11-17",
        "evidence": "French President Emmanuel Macron spoke with Vladimir Putin on Tuesday.",
        "evidence_start": 0,
        "evidence_end": 71,
        "confidence": 0.9,
        "published_at": "2026-11-20T09:00:00Z",
    }
    data.update(overrides)
    return Event.model_validate_json(json.dumps(data))


def test_article_round_trips_through_json() -> None:
    article = make_article(authors=["A. Writer"], near_duplicate_signature=[1, 2, 3])
    again = NormalizedArticle.model_validate_json(article.model_dump_json())
    assert again == article
    assert again.authors == ("A. Writer",)
    assert again.text_method is TextMethod.TRAFILATURA
    assert again.schema_version == 1


def test_contracts_are_frozen() -> None:
    article = make_article()
    with pytest.raises(ValidationError, match="frozen"):
        article.title = "changed"  # type: ignore[misc]


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        make_article(surprise=True)


def test_a_future_schema_version_is_rejected() -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        make_article(schema_version=2)


def test_strict_mode_refuses_coercion_of_numbers_to_strings() -> None:
    with pytest.raises(ValidationError):
        make_article(title=42)


def test_article_id_must_be_a_hex_digest() -> None:
    with pytest.raises(ValidationError, match="id"):
        make_article(id="not-an-id")


def test_event_round_trips_and_keeps_its_actors_in_order() -> None:
    event = make_event()
    again = Event.model_validate_json(event.model_dump_json())
    assert again == event
    assert [a.name for a in again.actors] == ["Emmanuel Macron", "Vladimir Putin"]
    assert again.type is EventType.LEADER_CONTACT
    assert again.modality is Modality.ASSERTED
    assert again.event_date == date(2026, 11, 17)


def test_event_evidence_span_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match="evidence_end"):
        make_event(evidence_start=10, evidence_end=5)


def test_actor_ids_are_wikidata_or_newswire_ids() -> None:
    assert ActorRef.model_validate_json('{"id": "newswire:coalition-of-the-willing", "name": "x"}')
    with pytest.raises(ValidationError):
        ActorRef.model_validate_json('{"id": "macron", "name": "x"}')


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_event_type_has_cameo_codes(event_type: EventType) -> None:
    codes = event_type_codes(event_type)
    assert codes.cameo, f"{event_type} has no CAMEO code"
    assert all(code.isdigit() and len(code) == 3 for code in codes.cameo)


def test_stable_id_is_deterministic_and_separates_parts() -> None:
    assert stable_id("a", "b") == stable_id("a", "b")
    assert stable_id("ab", "c") != stable_id("a", "bc")
    assert len(stable_id("x")) == 32


def test_topic_catalogue_keys_records_by_document_id() -> None:
    article = make_article()
    event = make_event()
    assert ARTICLES.key_of(article) == article.id
    assert EVENTS.key_of(event) == event.event_id
    assert topic("news.events.v1") is EVENTS
    assert set(all_topic_names()) == {
        "news.articles.v1",
        "news.articles.v1.dlq",
        "news.events.v1",
        "news.events.v1.dlq",
    }
    with pytest.raises(KeyError, match="known topics"):
        topic("news.nope.v1")


def test_documents_land_in_the_month_they_were_first_seen() -> None:
    article = make_article(first_seen_at="2026-10-31T23:59:00Z", fetched_at="2026-11-02T00:00:00Z")
    assert ARTICLES_INDEX.index_for(article) == "news-articles-2026.10"
    event = make_event(first_seen_at="2026-09-01T00:00:00Z")
    assert EVENTS_INDEX.index_for(event) == "news-events-2026.09"
    undated = make_event(published_at=None)
    assert EVENTS_INDEX.index_for(undated) == "news-events-undated"
    assert EVENTS_INDEX.doc_id(event) == event.event_id
    assert EVENTS_INDEX.version_of(event) == 1


def test_an_article_external_version_orders_text_versions_first_then_source_counts() -> None:
    base = make_article()
    versions = [
        ARTICLES_INDEX.version_of(base.model_copy(update={"version": v, "source_count": n}))
        for v, n in [(1, 1), (1, 2), (1, 30), (2, 1), (2, 3), (3, 1)]
    ]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)
    huge = base.model_copy(update={"version": 1, "source_count": 5_000_000})
    assert ARTICLES_INDEX.version_of(huge) < ARTICLES_INDEX.version_of(
        base.model_copy(update={"version": 2, "source_count": 1})
    )


@pytest.mark.parametrize("alias", sorted(INDICES))
def test_index_templates_are_strict_versioned_and_alias_their_indices(alias: str) -> None:
    spec = INDICES[alias]
    body = spec.template_body()
    assert body["index_patterns"] == [f"{alias}-*"]
    assert body["template"]["mappings"]["dynamic"] == "strict"
    assert body["template"]["aliases"] == {alias: {}}
    assert spec.template_name.endswith("-v1")
    # Every field of the contract is mapped, so strict mapping never rejects a valid record.
    mapped = set(body["template"]["mappings"]["properties"])
    assert set(spec.model.model_fields) <= mapped


def test_subscription_yaml_is_validated_strictly_through_json() -> None:
    text = SIGNED_SUBSCRIPTION.read_text(encoding="utf-8")
    catalogue = SubscriptionCatalogue.from_yaml_text(text)
    sub = catalogue.subscriptions[0]
    assert sub.modalities == (Modality.ASSERTED, Modality.PLANNED)
    assert sub.channels[0].type == "webhook"
    bad = text.replace("secret_env", "secret_envv")
    with pytest.raises(ValidationError, match="secret_envv"):
        SubscriptionCatalogue.from_yaml_text(bad)


def test_subscription_ids_must_be_unique() -> None:
    one = """
  - id: same
    event_types: [TROOP_DEPLOYMENT]
    channels: [{type: email, to: [ops@example.org]}]
"""
    with pytest.raises(ValidationError, match="duplicate subscription id"):
        SubscriptionCatalogue.from_yaml_text("subscriptions:" + one + one)


def test_aware_datetimes_are_required() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        make_article(fetched_at="2026-11-20T10:00:00")
    assert make_article().fetched_at == datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_events_keep_foreign_article_ids_so_they_join_back_to_their_input() -> None:
    assert make_event(article_id="reuters-2024-03-20-001").article_id == "reuters-2024-03-20-001"
    with pytest.raises(ValidationError, match="article_id"):
        make_event(article_id="   ")
