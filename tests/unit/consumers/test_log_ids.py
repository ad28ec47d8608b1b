"""The ids the indexer's and the alerter's log lines carry, to follow an article with grep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from consumers.alerter.dispatch import message_ids
from consumers.alerter.render import DigestMessage
from consumers.indexer.sink import record_ids
from schemas.articles import NormalizedArticle
from schemas.events import Event
from schemas.notifications import Notification, NotificationKind

ARTICLES = Path(__file__).resolve().parents[2] / "fixtures" / "events" / "articles.jsonl"

NOW = datetime(2024, 3, 18, 13, 0, tzinfo=UTC)


def _note(event: Event, development_id: str) -> Notification:
    return Notification(
        idempotency_key=development_id[:32].ljust(32, "0"),
        subscription_id="s",
        development_id=development_id,
        development_version=1,
        kind=NotificationKind.NEW,
        headline="h",
        event=event,
        created_at=NOW,
    )


def test_an_indexed_event_names_its_event_and_article(make_event: Callable[..., Event]) -> None:
    event = make_event("call_held")
    assert record_ids(event) == {"article_id": event.article_id, "event_id": event.event_id}
    article = NormalizedArticle.model_validate_json(ARTICLES.read_text().splitlines()[0])
    assert record_ids(article) == {"article_id": article.id}
    # A contract that is neither an article nor an event has no ids to add.
    assert record_ids(_note(event, "a" * 32)) == {}


def test_a_delivery_names_development_event_and_article(make_event: Callable[..., Event]) -> None:
    held, planned = make_event("call_held"), make_event("call_planned", "bbc")
    one = _note(held, "a" * 32)
    assert message_ids(one) == {
        "development_id": "a" * 32,
        "event_id": held.event_id,
        "article_id": held.article_id,
    }
    digest = DigestMessage("s", "webhook#0", NOW, NOW, (one, _note(planned, "b" * 32)))
    assert message_ids(digest) == {
        "development_id": f"{'a' * 32},{'b' * 32}",
        "event_id": f"{held.event_id},{planned.event_id}",
        "article_id": f"{held.article_id},{planned.article_id}",
    }
