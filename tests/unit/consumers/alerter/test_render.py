from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from consumers.alerter.channels import EmailNotifier
from consumers.alerter.developments import fold_event, start_development
from consumers.alerter.matching import plan_alerts
from consumers.alerter.render import (
    DigestMessage,
    build_notification,
    evidence_link,
    headline,
    slack_payload,
    webhook_body,
)
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.subscriptions import parse_catalogue, resolve_subscription
from schemas.notifications import Notification, NotificationKind
from schemas.subscriptions import EmailChannel

NOW = datetime(2024, 3, 18, 12, 0, tzinfo=UTC)
SUBS = """
subscriptions:
  - id: macron-putin
    event_types: [LEADER_CONTACT]
    actors_all: [Emmanuel Macron, Vladimir Putin]
    channels: [{type: webhook, url: "http://127.0.0.1:1/hook"}]
"""


def notification_pair(make_event) -> tuple[Notification, Notification]:
    sub = resolve_subscription(parse_catalogue(SUBS, "inline").subscriptions[0], None)
    planned = make_event("call_planned", "lemonde")
    dev, (first,) = plan_alerts([sub], start_development(planned, "d" * 32, 0, NOW), planned, NOW)
    dev = fold_event(dev, make_event("call_planned", "bbc"), NOW).development
    held = make_event("call_held", "reuters")
    _, (follow_up,) = plan_alerts([sub], fold_event(dev, held, NOW).development, held, NOW)
    return build_notification(first), build_notification(follow_up)


def test_the_webhook_body_is_the_notification_contract(make_event) -> None:
    first, follow_up = notification_pair(make_event)
    body = json.loads(webhook_body(follow_up))
    assert body["subscription_id"] == "macron-putin"
    assert body["development_id"] == "d" * 32
    assert body["kind"] == "update"
    assert body["changes"] == ["modality changed from planned to asserted"]
    assert body["event"]["modality"] == "asserted"
    assert body["source_count"] == 3
    assert Notification.model_validate_json(webhook_body(first)) == first


def test_headline_says_what_between_whom_and_how_sure(make_event) -> None:
    event = make_event("call_planned")
    assert headline(event, NotificationKind.NEW) == (
        "Leader contact: Emmanuel Macron and Vladimir Putin (planned)"
    )
    troops = make_event("troops_planned")
    assert headline(troops, NotificationKind.UPDATE) == (
        "Update: Troop deployment: France (planned), Ukraine"
    )


def test_evidence_link_points_at_the_sentence(make_event) -> None:
    event = make_event("call_held", "lemonde")
    link = evidence_link(event)
    assert link is not None
    assert link.startswith("https://www.lemonde.example/news/call_held#:~:text=French%20President")
    assert link.endswith(",on%20Monday%20about%20Ukraine.")
    assert evidence_link(make_event("call_held", article_url=None)) is None


def test_slack_blocks_carry_headline_actors_modality_date_quote_and_sources(make_event) -> None:
    _, follow_up = notification_pair(make_event)
    payload = slack_payload(follow_up)
    text = json.dumps(payload)
    assert payload["blocks"][0]["type"] == "header"
    assert "Emmanuel Macron and Vladimir Putin" in text
    assert "*Modality:* asserted" in text
    assert "*Date:* 2024-03-18" in text
    assert "> French President Emmanuel Macron held a phone call" in text
    assert "<https://www.bbc.example/news/call_planned|source 2>" in text
    assert "evidence in the article" in text


def test_email_has_text_and_html_with_links(make_event) -> None:
    first, _ = notification_pair(make_event)
    notifier = EmailNotifier(
        EmailChannel(type="email", to=("desk@example.org",)), AlerterSettings()
    )
    mail = notifier.build_message(first, first.idempotency_key)
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == f"<{first.idempotency_key}@newswire>"
    assert str(parsed["Subject"]).strip().startswith("[newswire] Leader contact")
    assert isinstance(mail, EmailMessage)
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert "https://www.lemonde.example/news/call_planned" in text.get_content()
    assert '<a href="https://www.lemonde.example/news/call_planned#:~:text=' in html.get_content()


def test_a_digest_groups_notifications(make_event) -> None:
    first, follow_up = notification_pair(make_event)
    digest = DigestMessage("macron-putin", "webhook#0", NOW, NOW, (first, follow_up))
    body = json.loads(webhook_body(digest))
    assert body["kind"] == "digest"
    assert [n["kind"] for n in body["notifications"]] == ["new", "update"]
    assert body["idempotency_key"] == digest.idempotency_key
    assert "2 development(s)" in slack_payload(digest)["text"]


def test_digest_groups_by_type_newest_first_and_collapses_versions(make_event) -> None:
    from datetime import UTC, datetime, timedelta

    from consumers.alerter.render import DigestMessage, digest_items, email_content
    from schemas.notifications import Notification, NotificationKind

    start = datetime(2024, 3, 18, 13, 0, tzinfo=UTC)

    def note(
        name: str, dev: str, version: int, minutes: int, kind: NotificationKind
    ) -> Notification:
        return Notification(
            idempotency_key=f"{version:032x}"[-32:] if dev == "a" else f"{version + 100:032x}",
            subscription_id="s",
            development_id=dev,
            development_version=version,
            kind=kind,
            changes=("modality changed from planned to asserted",) if version > 1 else (),
            headline=name,
            event=make_event(name),
            created_at=start + timedelta(minutes=minutes),
        )

    message = DigestMessage(
        "s",
        "email#0",
        start,
        start + timedelta(hours=1),
        (
            note("call_planned", "a", 1, 1, NotificationKind.NEW),
            note("troops_ruled_out", "b", 1, 5, NotificationKind.NEW),
            note("call_held", "a", 2, 30, NotificationKind.UPDATE),
        ),
    )
    groups = digest_items(message)
    assert [t.value for t, _ in groups] == ["LEADER_CONTACT", "TROOP_DEPLOYMENT"]
    (item,) = groups[0][1]
    assert item.notification.development_version == 2
    assert item.since_last == ("new development",)
    subject, text, html = email_content(message)
    assert subject == "[newswire] digest s: 2 development(s)"
    assert text.index("Leader contact (1)") < text.index("Troop deployment (1)")
    assert "Leader contact (1)" in html and "Troop deployment (1)" in html
