"""Whether a development interests a subscription, and which alerts to send (pure logic)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from consumers.alerter.developments import Development, ModalityChange
from consumers.alerter.subscriptions import ResolvedSubscription
from schemas.base import stable_id
from schemas.events import Event
from schemas.notifications import NotificationKind


def mismatch(sub: ResolvedSubscription, development: Development) -> str | None:
    """Why ``development`` does not match ``sub`` (None when it matches)."""
    spec = sub.subscription
    if not spec.enabled:
        return "subscription disabled"
    if development.type not in spec.event_types:
        return f"type {development.type.value} not in {[t.value for t in spec.event_types]}"
    actors = development.actors
    for term in sub.actors_all:
        if not any(term.matches(actor) for actor in actors):
            return f"actor {term.text!r} absent"
    if sub.actors_any and not any(term.matches(a) for term in sub.actors_any for a in actors):
        return "none of actors_any present"
    if spec.countries:
        codes = {actor.country for actor in actors if actor.country}
        codes.update(loc.upper() for loc in development.locations)
        if not codes & set(spec.countries):
            return "no actor of the listed countries"
    if development.modality not in spec.modalities:
        return f"modality {development.modality.value} not subscribed"
    if development.max_confidence < spec.min_confidence:
        return f"confidence {development.max_confidence:.2f} below {spec.min_confidence:.2f}"
    if development.source_count < spec.min_sources:
        return f"{development.source_count} source(s), fewer than {spec.min_sources}"
    if sub.keyword_patterns:
        texts = (*development.evidence, *development.locations)
        if not any(pattern.search(text) for pattern in sub.keyword_patterns for text in texts):
            return "no keyword in the evidence"
    return None


def matches(sub: ResolvedSubscription, development: Development) -> bool:
    """Whether ``development`` interests ``sub`` now."""
    return mismatch(sub, development) is None


@dataclass(frozen=True, slots=True)
class AlertPlan:
    """One notification to send: a first alert or a follow-up, for one subscription."""

    subscription: ResolvedSubscription
    development: Development
    event: Event
    kind: NotificationKind
    changes: tuple[str, ...]
    created_at: datetime

    @property
    def idempotency_key(self) -> str:
        """Stable across retries, restarts and replays: (subscription, development, version)."""
        return notification_key(
            self.subscription.id, self.development.development_id, self.development.version
        )


def notification_key(subscription_id: str, development_id: str, version: int) -> str:
    """The idempotency key of a notification."""
    return stable_id("notification", subscription_id, development_id, str(version))


def plan_alerts(
    subscriptions: Sequence[ResolvedSubscription],
    development: Development,
    event: Event,
    now: datetime,
) -> tuple[Development, list[AlertPlan]]:
    """The alerts a freshly updated development calls for, and the development marked with them.

    A subscription hears about a development once (``new``) when it first matches, and once
    more (``update``) for each version bump (a modality change that matters) after that.
    """
    plans: list[AlertPlan] = []
    marked = development
    for sub in subscriptions:
        if not matches(sub, development):
            continue
        mark = development.alert_mark(sub.id)
        if mark is None:
            kind = NotificationKind.NEW
            changes: tuple[str, ...] = ()
        elif mark.version < development.version:
            kind = NotificationKind.UPDATE
            changes = (ModalityChange(mark.modality, development.modality).describe(),)
        else:
            continue
        plans.append(AlertPlan(sub, development, event, kind, changes, now))
        marked = marked.with_alert(sub.id)
    return marked, plans
