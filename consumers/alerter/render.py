"""What a notification says, for each channel (pure logic).

Every rendering links to the evidence (the article URL with a text fragment that highlights the
evidence sentence) and to every source of the development.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from consumers.alerter.matching import AlertPlan
from schemas.base import stable_id
from schemas.events import Event, EventType, Modality
from schemas.notifications import Notification, NotificationKind

_TYPE_LABEL: dict[EventType, str] = {
    EventType.LEADER_CONTACT: "Leader contact",
    EventType.CONFIDENTIAL_LEAK: "Confidential leak",
    EventType.TROOP_DEPLOYMENT: "Troop deployment",
    EventType.DIPLOMATIC_PROTEST: "Diplomatic protest",
    EventType.SANCTIONS_OR_ASSETS: "Sanctions or assets",
    EventType.MILITARY_ACTION: "Military action",
}
_MODALITY_LABEL: dict[Modality, str] = {
    Modality.ASSERTED: "happened",
    Modality.REPORTED: "reported",
    Modality.PLANNED: "planned",
    Modality.HYPOTHETICAL: "hypothetical",
    Modality.NEGATED: "denied or ruled out",
}
_MAX_QUOTE = 500
TYPE_LABEL = _TYPE_LABEL


def modality_label(modality: Modality) -> str:
    """How a modality reads in a headline ("happened", "planned", ...)."""
    return _MODALITY_LABEL[modality]


@dataclass(frozen=True, slots=True)
class DigestMessage:
    """Several notifications of one subscription grouped for one channel and period."""

    subscription_id: str
    channel: str
    period_start: datetime
    period_end: datetime
    notifications: tuple[Notification, ...]

    @property
    def idempotency_key(self) -> str:
        """Stable for (subscription, channel, period)."""
        return stable_id(
            "digest", self.subscription_id, self.channel, self.period_start.isoformat()
        )


Message = Notification | DigestMessage


def actor_names(event: Event) -> str:
    """The actors of an event as readable text."""
    names = [actor.name for actor in event.actors]
    if len(names) <= 1:
        return names[0] if names else "unknown actors"
    return ", ".join(names[:-1]) + " and " + names[-1]


def headline(event: Event, kind: NotificationKind) -> str:
    """One line: what happened, between whom, how certain."""
    text = f"{_TYPE_LABEL[event.type]}: {actor_names(event)} ({_MODALITY_LABEL[event.modality]})"
    if event.location:
        text += f", {event.location}"
    return ("Update: " + text) if kind is NotificationKind.UPDATE else text


def build_notification(plan: AlertPlan) -> Notification:
    """The notification of an alert plan."""
    development = plan.development
    return Notification(
        idempotency_key=plan.idempotency_key,
        subscription_id=plan.subscription.id,
        development_id=development.development_id,
        development_version=development.version,
        kind=plan.kind,
        changes=plan.changes,
        headline=headline(plan.event, plan.kind),
        event=plan.event,
        source_count=max(1, development.source_count),
        source_urls=development.source_urls,
        created_at=plan.created_at,
    )


def _fragment_text(words: Sequence[str]) -> str:
    return quote(" ".join(words), safe="").replace("-", "%2D")


def evidence_link(event: Event) -> str | None:
    """The article URL with a text fragment that scrolls to the evidence sentence."""
    if not event.article_url:
        return None
    words = event.evidence.split()
    if not words:
        return event.article_url
    if len(words) <= 8:
        fragment = _fragment_text(words)
    else:
        fragment = _fragment_text(words[:4]) + "," + _fragment_text(words[-4:])
    base = event.article_url.split("#", 1)[0]
    return f"{base}#:~:text={fragment}"


def quote_evidence(event: Event) -> str:
    """The evidence sentence, shortened for display."""
    text = " ".join(event.evidence.split())
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


def event_date_text(event: Event) -> str:
    """The event date, or what is known about it."""
    if event.event_date is not None:
        return event.event_date.isoformat()
    if event.published_at is not None:
        return f"published {event.published_at:%Y-%m-%d}"
    return "date unknown"


def webhook_body(message: Message) -> bytes:
    """The JSON body of a webhook: the notification itself, or a digest of notifications."""
    if isinstance(message, Notification):
        return message.model_dump_json().encode("utf-8")
    payload: dict[str, Any] = {
        "kind": "digest",
        "subscription_id": message.subscription_id,
        "idempotency_key": message.idempotency_key,
        "period_start": message.period_start.isoformat(),
        "period_end": message.period_end.isoformat(),
        "notifications": [n.model_dump(mode="json") for n in message.notifications],
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_notification_blocks(notification: Notification) -> list[dict[str, Any]]:
    event = notification.event
    fields = [
        f"*Actors:* {_mrkdwn_escape(actor_names(event))}",
        f"*Modality:* {event.modality.value}",
        f"*Date:* {event_date_text(event)}",
        f"*Sources:* {notification.source_count}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": notification.headline[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if notification.changes:
        changes = "\n".join(f"• {_mrkdwn_escape(c)}" for c in notification.changes)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": changes}})
    link = evidence_link(event)
    quoted = f"> {_mrkdwn_escape(quote_evidence(event))}"
    if link:
        quoted += f"\n<{link}|evidence in the article>"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quoted}})
    if notification.source_urls:
        links = " · ".join(
            f"<{url}|source {i}>" for i, url in enumerate(notification.source_urls[:10], 1)
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links}]})
    return blocks


def slack_payload(message: Message) -> dict[str, Any]:
    """The JSON payload of a Slack incoming webhook (blocks plus a plain-text fallback)."""
    if isinstance(message, Notification):
        return {"text": message.headline, "blocks": _slack_notification_blocks(message)}
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": f"Digest for {message.subscription_id}: "
                f"{len(message.notifications)} development(s)",
            },
        }
    ]
    for notification in message.notifications:
        blocks.append({"type": "divider"})
        blocks.extend(_slack_notification_blocks(notification))
    return {
        "text": f"newswire digest: {len(message.notifications)} development(s)",
        "blocks": blocks[:50],
    }


def _text_section(notification: Notification) -> str:
    event = notification.event
    lines = [
        notification.headline,
        "",
        f"Actors:   {actor_names(event)}",
        f"Modality: {event.modality.value}",
        f"Date:     {event_date_text(event)}",
        f"Sources:  {notification.source_count}",
    ]
    if notification.changes:
        lines += ["", "What changed:", *(f"  - {change}" for change in notification.changes)]
    lines += ["", f'Evidence: "{quote_evidence(event)}"']
    link = evidence_link(event)
    if link:
        lines.append(f"  {link}")
    if notification.source_urls:
        lines += ["", "Sources:", *(f"  - {url}" for url in notification.source_urls)]
    lines += ["", f"development {notification.development_id} v{notification.development_version}"]
    return "\n".join(lines)


def _html_section(notification: Notification) -> str:
    event = notification.event
    esc = html.escape
    parts = [
        f"<h2>{esc(notification.headline)}</h2>",
        "<ul>",
        f"<li><b>Actors:</b> {esc(actor_names(event))}</li>",
        f"<li><b>Modality:</b> {esc(event.modality.value)}</li>",
        f"<li><b>Date:</b> {esc(event_date_text(event))}</li>",
        f"<li><b>Sources:</b> {notification.source_count}</li>",
        "</ul>",
    ]
    if notification.changes:
        items = "".join(f"<li>{esc(change)}</li>" for change in notification.changes)
        parts.append(f"<p><b>What changed:</b></p><ul>{items}</ul>")
    parts.append(f"<blockquote>{esc(quote_evidence(event))}</blockquote>")
    link = evidence_link(event)
    if link:
        parts.append(f'<p><a href="{esc(link)}">Evidence in the article</a></p>')
    if notification.source_urls:
        items = "".join(
            f'<li><a href="{esc(url)}">{esc(url)}</a></li>' for url in notification.source_urls
        )
        parts.append(f"<p><b>Sources:</b></p><ul>{items}</ul>")
    return "\n".join(parts)


def is_test(message: Message) -> bool:
    """Whether ``message`` is a sample from ``newswire subscriptions test``."""
    if isinstance(message, Notification):
        return message.test
    return any(n.test for n in message.notifications)


def _test_prefix(message: Message) -> str:
    return "[TEST] " if is_test(message) else ""


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One development in a digest: its latest notification and what changed since the last."""

    notification: Notification
    since_last: tuple[str, ...]


def digest_items(message: DigestMessage) -> list[tuple[EventType, list[DigestItem]]]:
    """The developments of a digest grouped by type, newest first within a type.

    Several versions of one development in one period make one item (the latest version); what
    changed since the last digest is "new" for a development first seen in this period, else
    the follow-ups' changes.
    """
    by_development: dict[str, list[Notification]] = {}
    for notification in message.notifications:
        by_development.setdefault(notification.development_id, []).append(notification)
    items: list[DigestItem] = []
    for versions in by_development.values():
        versions.sort(key=lambda n: n.development_version)
        latest = versions[-1]
        if any(n.kind is NotificationKind.NEW for n in versions):
            since: tuple[str, ...] = ("new development",)
        else:
            changes = [c for n in versions for c in n.changes]
            since = tuple(dict.fromkeys(changes)) or ("updated",)
        items.append(DigestItem(latest, since))
    groups: dict[EventType, list[DigestItem]] = {}
    for item in items:
        groups.setdefault(item.notification.event.type, []).append(item)
    ordered = []
    for event_type in _TYPE_LABEL:
        group = groups.get(event_type)
        if group:
            group.sort(key=lambda i: (i.notification.created_at, i.notification.development_id))
            group.reverse()
            ordered.append((event_type, group))
    # Types with the newest development first.
    ordered.sort(key=lambda pair: pair[1][0].notification.created_at, reverse=True)
    return ordered


def _period_text(message: DigestMessage) -> str:
    return f"{message.period_start:%Y-%m-%d %H:%M} to {message.period_end:%Y-%m-%d %H:%M} UTC"


def _digest_text(message: DigestMessage, groups: list[tuple[EventType, list[DigestItem]]]) -> str:
    count = sum(len(items) for _, items in groups)
    lines = [
        f"{_test_prefix(message)}newswire digest for subscription {message.subscription_id}",
        f"{_period_text(message)}: {count} development(s)",
    ]
    for event_type, items in groups:
        title = f"{_TYPE_LABEL[event_type]} ({len(items)})"
        lines += ["", "", title, "=" * len(title)]
        for item in items:
            lines += ["", f"Since the last digest: {'; '.join(item.since_last)}"]
            lines.append(_text_section(item.notification))
            lines.append("----")
    return "\n".join(lines) + "\n"


def _digest_html(message: DigestMessage, groups: list[tuple[EventType, list[DigestItem]]]) -> str:
    esc = html.escape
    count = sum(len(items) for _, items in groups)
    parts = [
        f"<h1>{esc(_test_prefix(message))}newswire digest for subscription "
        f"{esc(message.subscription_id)}</h1>",
        f"<p>{esc(_period_text(message))}: {count} development(s)</p>",
    ]
    for event_type, items in groups:
        parts.append(
            f'<section class="type"><h1>{esc(_TYPE_LABEL[event_type])} ({len(items)})</h1>'
        )
        for item in items:
            since = esc("; ".join(item.since_last))
            parts.append(
                f'<article><p class="since"><b>Since the last digest:</b> {since}</p>'
                f"{_html_section(item.notification)}</article>"
            )
        parts.append("</section>")
    return "\n".join(parts)


def email_content(message: Message) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of an email; a digest is grouped by type, newest first."""
    prefix = _test_prefix(message)
    if isinstance(message, Notification):
        subject = f"{prefix}[newswire] {message.headline}"
        text = _text_section(message) + "\n"
        body = _html_section(message)
        if message.test:
            note = "This is a test notification sent by newswire subscriptions test."
            text = f"{note}\n\n{text}"
            body = f"<p><b>{html.escape(note)}</b></p>\n{body}"
        return subject, text, _html_document(body)
    groups = digest_items(message)
    count = sum(len(items) for _, items in groups)
    subject = f"{prefix}[newswire] digest {message.subscription_id}: {count} development(s)"
    return subject, _digest_text(message, groups), _html_document(_digest_html(message, groups))


def apprise_content(message: Message) -> tuple[str, str]:
    """(title, plain-text body) for an Apprise service."""
    subject, text, _ = email_content(message)
    return subject.replace("[newswire] ", "", 1), text


def _html_document(body: str) -> str:
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{body}\n</body></html>\n'
