"""What subscribers get (issue 15), against the real Elasticsearch and loopback receivers:
Standard Webhooks verified by the ``standardwebhooks`` package, Apprise to a JSON webhook
target, the Atom feed read back by feedparser and served with ETags, digests through SMTP, and
no false "it happened" follow-up."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from newswire_testing.clock import ManualClock, wait_for
from newswire_testing.loopback import LoopbackServer
from newswire_testing.smtp import SmtpSink
from newswire_testing.subscriptions import (
    email_channel,
    macron_putin,
    webhook_channel,
    write_subscriptions,
)
from newswire_testing.webhook import WebhookReceiver
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from typer.testing import CliRunner

from consumers.alerter.commands import subscriptions_app
from consumers.alerter.feed_server import make_server
from consumers.alerter.feeds import etag_of, feed_path
from consumers.alerter.service import AlerterService
from consumers.alerter.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER
from schemas.events import Event
from schemas.notifications import DeliveryStatus

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"newswire-standard-webhooks-key!!").decode()
WRONG_SECRET = "whsec_" + base64.b64encode(b"some-other-key-of-32-bytes-long!").decode()
UK = {"id": "Q145", "name": "United Kingdom", "kind": "country", "country": "GB"}
UKRAINE = {"id": "Q212", "name": "Ukraine", "kind": "country", "country": "UA"}


def standard_channel(url: str) -> dict[str, Any]:
    return {
        "type": "webhook",
        "url": url,
        "secret_env": "NEWSWIRE_TEST_WHSEC",
        "signature": "standard-webhooks",
        "timeout_seconds": 5,
    }


def apprise_channel(env: str) -> dict[str, Any]:
    return {"type": "apprise", "url_env": env, "timeout_seconds": 5}


def statuses(service: AlerterService) -> dict[str, DeliveryStatus]:
    assert service.outbox is not None
    return {e.record.channel: e.record.status for e in service.outbox.search()}


def test_standard_webhooks_deliveries_verify_with_the_standardwebhooks_package(
    open_service, webhook: WebhookReceiver, make_event, monkeypatch
) -> None:
    monkeypatch.setenv("NEWSWIRE_TEST_WHSEC", SECRET)
    webhook.statuses = [503]  # the first attempt fails: the retry is signed anew
    service = open_service([macron_putin([standard_channel(webhook.url + "/std")])])
    assert service.alerter is not None
    service.alerter.process([make_event("call_held", "lemonde")])
    assert wait_for(lambda: len(webhook.delivered()) == 1)
    assert [r.status for r in webhook.requests] == [503, 200]
    (entry,) = service.outbox.search() if service.outbox else []
    for request in webhook.requests:
        payload = Webhook(SECRET).verify(request.body, request.headers)
        assert payload["subscription_id"] == "macron-putin"
        assert request.headers["webhook-id"] == entry.record.idempotency_key
        assert request.headers[IDEMPOTENCY_HEADER] == entry.record.idempotency_key
        assert SIGNATURE_HEADER not in request.headers
        with pytest.raises(WebhookVerificationError):
            Webhook(WRONG_SECRET).verify(request.body, request.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(SECRET).verify(request.body + b" ", request.headers)


def test_a_standard_webhooks_channel_with_a_secret_not_in_whsec_form_is_refused_at_load(
    open_service, webhook: WebhookReceiver, monkeypatch
) -> None:
    from consumers.alerter.errors import SubscriptionError

    monkeypatch.setenv("NEWSWIRE_TEST_WHSEC", "plain-secret")
    with pytest.raises(SubscriptionError, match="whsec_"):
        open_service([macron_putin([standard_channel(webhook.url + "/std")])])


def test_apprise_delivers_to_a_json_target_retries_its_failures_and_blocks_no_other_channel(
    open_service, webhook: WebhookReceiver, make_event, monkeypatch
) -> None:
    port = webhook.url.rsplit(":", 1)[1]
    monkeypatch.setenv("NEWSWIRE_TEST_APPRISE", f"json://127.0.0.1:{port}/apprise")
    # Nothing listens on port 1: that service fails at every attempt.
    monkeypatch.setenv("NEWSWIRE_TEST_APPRISE_DOWN", "json://127.0.0.1:1/down")
    webhook.path_statuses = {"/apprise": [500, 500]}
    service = open_service(
        [
            macron_putin(
                [
                    apprise_channel("NEWSWIRE_TEST_APPRISE_DOWN"),
                    apprise_channel("NEWSWIRE_TEST_APPRISE"),
                    webhook_channel(webhook.url + "/hook"),
                ]
            )
        ]
    )
    assert service.alerter is not None
    service.alerter.process([make_event("call_held", "lemonde")])
    assert wait_for(lambda: len(webhook.delivered("/apprise")) == 1)
    assert wait_for(lambda: len(webhook.delivered("/hook")) == 1)
    assert [r.status for r in webhook.requests if r.path == "/apprise"] == [500, 500, 200]
    body = webhook.delivered("/apprise")[0].json()
    assert "Leader contact" in body["title"]
    assert "French President Emmanuel Macron held a phone call" in body["message"]
    assert wait_for(lambda: statuses(service).get("apprise#1") is DeliveryStatus.SENT)
    assert statuses(service)["webhook#2"] is DeliveryStatus.SENT
    down = statuses(service)["apprise#0"]
    assert down is DeliveryStatus.PENDING  # still retrying, never in the others' way
    assert service.outbox is not None
    (entry,) = [e for e in service.outbox.search() if e.record.channel == "apprise#0"]
    assert wait_for(lambda: _attempts(service, "apprise#0") >= 2)
    assert entry.record.status is DeliveryStatus.PENDING


def _attempts(service: AlerterService, channel: str) -> int:
    assert service.outbox is not None
    return next(e.record.attempts for e in service.outbox.search() if e.record.channel == channel)


def test_atom_feed_has_an_entry_per_development_updated_in_place_and_served_with_etags(
    open_service, webhook: WebhookReceiver, make_event, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds"
    clock = ManualClock(datetime(2024, 3, 18, 9, 0, tzinfo=UTC))
    service = open_service(
        [macron_putin([webhook_channel(webhook.url + "/hook")])], feed_dir=feeds, clock=clock
    )
    assert service.alerter is not None
    service.alerter.process([make_event("call_planned", "lemonde")])
    path = feed_path(feeds, "macron-putin")
    first = feedparser.parse(path.read_bytes())
    assert not first.bozo, first.get("bozo_exception")
    (entry,) = first.entries
    assert "(planned)" in entry.title
    assert "Emmanuel Macron will hold a phone call" in entry.summary
    assert "Actors: Emmanuel Macron, Vladimir Putin" in entry.summary
    assert "Modality: planned" in entry.summary and "Date: 2024-03-18" in entry.summary
    assert entry.link == "https://www.lemonde.example/news/call_planned"
    before = path.read_bytes()

    # A replay changes nothing: same bytes, same ETag.
    service.alerter.process([make_event("call_planned", "lemonde")])
    assert path.read_bytes() == before

    clock.now += timedelta(hours=3)
    service.alerter.process([make_event("call_held", "bbc")])
    second = feedparser.parse(path.read_bytes())
    assert not second.bozo
    (entry,) = second.entries  # the same development, updated
    assert "(happened)" in entry.title and "Modality: asserted" in entry.summary
    assert "Olaf" not in entry.summary
    hrefs = {link.href for link in entry.links}
    assert hrefs == {
        "https://www.lemonde.example/news/call_planned",
        "https://www.bbc.example/news/call_held",
    }
    assert entry.updated_parsed > first.entries[0].updated_parsed

    with LoopbackServer.around(make_server(feeds, "127.0.0.1", 0)) as server:
        url = f"{server.url}/macron-putin.atom"
        with httpx.Client(timeout=5) as client:
            response = client.get(url)
            assert response.status_code == 200
            assert response.headers["ETag"] == etag_of(path.read_bytes())
            assert response.headers["Content-Type"].startswith("application/atom+xml")
            again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
            assert again.status_code == 304 and again.content == b""
            assert client.get(url.replace("macron-putin", "nobody")).status_code == 404


def _uk_event(make_event, source: str, modality: str, evidence: str) -> Event:
    event: Event = make_event(
        "call_held",
        source,
        type="TROOP_DEPLOYMENT",
        actors=[UK, UKRAINE],
        modality=modality,
        event_date="2024-04-01",
        published_at="2024-03-10T08:00:00Z",
        evidence=evidence,
    )
    return event


@pytest.mark.parametrize("planned_first", [True, False])
def test_an_announcement_read_as_asserted_before_its_date_alerts_once(
    open_service, webhook: WebhookReceiver, make_event, planned_first: bool
) -> None:
    planned = _uk_event(
        make_event, "bbc", "planned", "Britain will deploy 200 instructors to Ukraine next month."
    )
    misread = _uk_event(
        make_event,
        "guardian",
        "asserted",
        "The United Kingdom is to station 200 instructors there from next month.",
    )
    subscription = {
        "id": "uk-ukraine",
        "event_types": ["TROOP_DEPLOYMENT"],
        "actors_any": ["United Kingdom"],
        "channels": [webhook_channel(webhook.url + "/hook")],
    }
    service = open_service([subscription])
    assert service.alerter is not None
    first, second = (planned, misread) if planned_first else (misread, planned)
    reports = [service.alerter.process([first]), service.alerter.process([second])]
    assert [len(r.alerts) for r in reports] == [1, 0]
    assert reports[1].applied == 1  # kept as corroboration
    assert wait_for(lambda: len(webhook.delivered()) == 1)
    body = webhook.delivered()[0].json()
    assert body["kind"] == "new"
    assert service.store is not None
    (development,) = service.store.get_many([body["development_id"]]).values()
    assert development.development.modality.value == "planned"
    assert development.development.source_count == 2


def test_hourly_digest_email_groups_by_type_newest_first_with_what_changed(
    open_service, smtp: SmtpSink, make_event
) -> None:
    smtp.start()
    clock = ManualClock(datetime(2024, 3, 18, 13, 5, tzinfo=UTC))
    subscription = {
        "id": "desk-hourly",
        "description": "Putin and Macron",
        "event_types": ["LEADER_CONTACT", "TROOP_DEPLOYMENT"],
        "actors_any": ["Vladimir Putin", "Emmanuel Macron"],
        "modalities": ["asserted", "planned", "negated"],
        "mode": "hourly",
        "channels": [email_channel(smtp.port)],
    }
    service = open_service([subscription], clock=clock)
    assert service.alerter is not None
    service.alerter.process([make_event("call_planned", "lemonde")])
    clock.now += timedelta(minutes=10)
    service.alerter.process([make_event("troops_ruled_out", "lemonde")])
    clock.now += timedelta(minutes=10)
    service.alerter.process([make_event("scholz_putin_call", "bbc")])
    clock.now += timedelta(minutes=10)
    service.alerter.process([make_event("call_held", "bbc")])  # planned -> asserted
    clock.now = datetime(2024, 3, 18, 14, 0, 1, tzinfo=UTC)
    assert service.alerter.flush_digests() == 1
    assert wait_for(lambda: len(smtp.messages) == 1)
    (mail,) = smtp.messages
    assert mail["Subject"] == "[newswire] digest desk-hourly: 3 development(s)"
    text_part = mail.get_body(preferencelist=("plain",))
    html_part = mail.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text = text_part.get_content()
    html = html_part.get_content()
    # Grouped by type, the type with the newest development first; newest first within a type.
    assert text.index("Leader contact (2)") < text.index("Troop deployment (1)")
    macron = text.index("Emmanuel Macron held a phone call")
    scholz = text.index("Olaf Scholz held a phone call")
    assert macron < scholz
    assert "Since the last digest: new development" in text
    assert text.count("Since the last digest:") == 3  # one item per development
    for part in (text, html):
        assert "desk-hourly" in part
        assert "Troop deployment (1)" in part and "Leader contact (2)" in part
    assert html.index("Leader contact (2)") < html.index("Troop deployment (1)")
    assert html.index("Emmanuel Macron held a phone call") < html.index("Olaf Scholz held")
    assert "<b>Since the last digest:</b> new development" in html


def test_subscriptions_test_covers_apprise_and_standard_webhooks_and_marks_the_test(
    webhook: WebhookReceiver, tmp_path: Path, monkeypatch
) -> None:
    port = webhook.url.rsplit(":", 1)[1]
    monkeypatch.setenv("NEWSWIRE_TEST_WHSEC", SECRET)
    monkeypatch.setenv("NEWSWIRE_TEST_APPRISE", f"json://127.0.0.1:{port}/apprise")
    monkeypatch.setenv("NEWSWIRE_TEST_APPRISE_DOWN", "json://127.0.0.1:1/down")
    path = write_subscriptions(
        tmp_path / "subs.yaml",
        [
            macron_putin(
                [
                    standard_channel(webhook.url + "/std"),
                    apprise_channel("NEWSWIRE_TEST_APPRISE"),
                    apprise_channel("NEWSWIRE_TEST_APPRISE_DOWN"),
                ]
            )
        ],
    )
    result = CliRunner().invoke(subscriptions_app, ["test", "macron-putin", "--file", str(path)])
    assert result.exit_code == 1, result.output  # the third channel cannot be reached
    lines = result.output.splitlines()
    assert any(
        line.startswith("webhook#0: sent") and "standard-webhooks signature" in line
        for line in lines
    ), result.output
    assert any(
        line.startswith("apprise#1: sent") and "NEWSWIRE_TEST_APPRISE)" in line for line in lines
    )
    assert any(line.startswith("apprise#2: FAILED") for line in lines)
    (std,) = webhook.delivered("/std")
    payload = Webhook(SECRET).verify(std.body, std.headers)
    assert payload["test"] is True
    assert std.headers["X-Newswire-Test"] == "1"
    (sent,) = webhook.delivered("/apprise")
    assert sent.json()["title"].startswith("[TEST] ")
    assert "This is a test notification" in sent.json()["message"]
