"""Delivery against the real Elasticsearch (developments, outbox), a local webhook receiver and a
local SMTP server: retries, independence of channels, signatures, digests."""

from __future__ import annotations

import itertools
import ssl
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from newswire_testing.clock import ManualClock, wait_for
from newswire_testing.smtp import SmtpSink
from newswire_testing.subscriptions import (
    WEBHOOK_SECRET,
    email_channel,
    macron_putin,
    webhook_channel,
    write_subscriptions,
)
from newswire_testing.webhook import WebhookReceiver

from consumers.alerter.developments import candidate_ids
from consumers.alerter.errors import StoreConflictError
from consumers.alerter.service import AlerterService
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify_signature
from newswire.settings import ElasticsearchSettings
from schemas.events import Event
from schemas.notifications import DeliveryStatus

pytestmark = pytest.mark.integration


def outbox_entries(service: AlerterService) -> list[Any]:
    assert service.outbox is not None
    return service.outbox.search()


def test_webhook_failing_three_times_is_delivered_once_with_attempts_recorded(
    open_service, webhook: WebhookReceiver, make_event: Callable[..., Event]
) -> None:
    webhook.statuses = [500, 500, 500]
    service = open_service([macron_putin([webhook_channel(webhook.url + "/hook")])])
    assert service.alerter is not None
    report = service.alerter.process([make_event("call_held", "lemonde")])
    assert len(report.alerts) == 1

    def sent() -> bool:
        entries = outbox_entries(service)
        return bool(entries) and entries[0].record.status is DeliveryStatus.SENT

    assert wait_for(sent)
    (entry,) = outbox_entries(service)
    assert entry.record.attempts == 4
    assert entry.record.last_error is not None and "HTTP 500" in entry.record.last_error
    assert entry.record.sent_at is not None
    assert [r.status for r in webhook.requests] == [500, 500, 500, 200]
    assert len(webhook.delivered()) == 1
    keys = {r.headers[IDEMPOTENCY_HEADER] for r in webhook.requests}
    assert keys == {entry.record.idempotency_key}
    registry = service.metrics.registry
    sent_labels = {"channel": "webhook", "status": "sent"}
    assert wait_for(
        lambda: registry.get_sample_value("newswire_alerter_deliveries_total", sent_labels) == 1
    )
    assert registry.get_sample_value("newswire_alerter_alerts_total", {"kind": "new"}) == 1
    assert registry.get_sample_value("newswire_alerter_developments_created_total") == 1


def test_webhook_signature_verifies_with_the_secret_and_fails_with_a_wrong_one(
    open_service, webhook: WebhookReceiver, make_event: Callable[..., Event]
) -> None:
    service = open_service([macron_putin([webhook_channel(webhook.url + "/hook")])])
    assert service.alerter is not None
    service.alerter.process([make_event("call_held", "lemonde")])
    assert wait_for(lambda: len(webhook.delivered()) == 1)
    (request,) = webhook.delivered()
    header = request.headers[SIGNATURE_HEADER]
    assert verify_signature(WEBHOOK_SECRET, header, request.body, now=datetime.now(UTC).timestamp())
    assert not verify_signature("not-the-secret", header, request.body)
    body = request.json()
    assert body["subscription_id"] == "macron-putin"
    assert body["kind"] == "new"
    assert body["event"]["evidence"].startswith("French President Emmanuel Macron held")
    assert body["source_urls"] == ["https://www.lemonde.example/news/call_held"]


def test_smtp_down_then_up_is_delivered(
    open_service, smtp: SmtpSink, make_event: Callable[..., Event]
) -> None:
    service = open_service([macron_putin([email_channel(smtp.port)])])
    assert service.alerter is not None
    service.alerter.process([make_event("call_held", "lemonde")])

    def failed_twice() -> bool:
        entries = outbox_entries(service)
        return bool(entries) and entries[0].record.attempts >= 2

    assert wait_for(failed_twice)
    (entry,) = outbox_entries(service)
    assert entry.record.status is DeliveryStatus.PENDING
    assert entry.record.last_error is not None and "smtp 127.0.0.1" in entry.record.last_error
    smtp.start()
    assert wait_for(lambda: len(smtp.messages) == 1)
    assert wait_for(lambda: outbox_entries(service)[0].record.status is DeliveryStatus.SENT)
    message = smtp.messages[0]
    assert message["Message-ID"] == f"<{entry.record.idempotency_key}@newswire>"
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None


def test_a_failing_webhook_does_not_delay_email(
    open_service, webhook: WebhookReceiver, smtp: SmtpSink, make_event: Callable[..., Event]
) -> None:
    # The webhook hangs until the email has arrived, then fails: if email waited behind the
    # webhook, it would never arrive while the webhook request is still open.
    email_arrived = threading.Event()
    webhook.gate = email_arrived
    webhook.statuses = [500] * 50
    completed_when_email_arrived: list[int] = []

    def on_email(_: object) -> None:
        completed_when_email_arrived.append(webhook.completed)
        email_arrived.set()

    smtp.on_message = on_email
    smtp.start()
    service = open_service(
        [macron_putin([webhook_channel(webhook.url + "/hook"), email_channel(smtp.port)])]
    )
    assert service.alerter is not None
    service.alerter.process([make_event("call_held", "lemonde")])
    assert email_arrived.wait(15)
    assert wait_for(lambda: webhook.arrived >= 1)
    assert completed_when_email_arrived == [0]
    by_channel = {e.record.channel: e for e in outbox_entries(service)}
    assert wait_for(
        lambda: (
            {e.record.channel: e for e in outbox_entries(service)}["email#1"].record.status
            is DeliveryStatus.SENT
        )
    )
    assert by_channel["webhook#0"].record.status is DeliveryStatus.PENDING
    with webhook.lock:
        webhook.statuses.clear()
    assert wait_for(lambda: len(webhook.delivered()) == 1)


def test_hourly_digest_groups_developments_until_the_hour_ends(
    open_service, webhook: WebhookReceiver, make_event: Callable[..., Event]
) -> None:
    clock = ManualClock(datetime(2024, 3, 18, 13, 10, tzinfo=UTC))
    subscription = {
        "id": "leaders-hourly",
        "event_types": ["LEADER_CONTACT"],
        "actors_any": ["Vladimir Putin"],
        "mode": "hourly",
        "channels": [webhook_channel(webhook.url + "/digest")],
    }
    service = open_service([subscription], clock=clock)
    assert service.alerter is not None
    service.alerter.process([make_event("call_held", "lemonde")])
    clock.now += timedelta(minutes=20)
    service.alerter.process([make_event("scholz_putin_call", "bbc")])
    assert service.alerter.flush_digests() == 0
    entries = outbox_entries(service)
    assert len(entries) == 2
    assert {e.record.status for e in entries} == {DeliveryStatus.PENDING}
    clock.now = datetime(2024, 3, 18, 14, 0, 1, tzinfo=UTC)
    assert service.alerter.flush_digests() == 1
    assert wait_for(lambda: len(webhook.delivered()) == 1)
    body = webhook.delivered()[0].json()
    assert body["kind"] == "digest"
    assert body["period_start"] == "2024-03-18T13:00:00+00:00"
    assert len(body["notifications"]) == 2
    assert wait_for(
        lambda: {e.record.status for e in outbox_entries(service)} == {DeliveryStatus.SENT}
    )


def test_delivery_gives_up_after_the_give_up_age_and_records_the_failure(
    alerter_settings: AlerterSettings,
    es_settings: ElasticsearchSettings,
    webhook: WebhookReceiver,
    make_event: Callable[..., Event],
    macron_putin_file: Path,
) -> None:
    webhook.statuses = [500] * 100
    settings = alerter_settings.model_copy(update={"give_up_after_seconds": 0.3})
    service = AlerterService(
        settings.model_copy(update={"es": es_settings}),
        subscriptions_file=macron_putin_file,
        use_gazetteer=False,
    )
    try:
        service.open()
        assert service.alerter is not None
        service.alerter.process([make_event("call_held", "lemonde")])

        def failed() -> bool:
            entries = outbox_entries(service)
            return bool(entries) and entries[0].record.status is DeliveryStatus.FAILED

        assert wait_for(failed)
        (entry,) = outbox_entries(service)
    finally:
        service.close()
    assert entry.record.attempts >= 2
    assert entry.record.last_error is not None
    assert entry.record.last_error.startswith("gave up after")
    assert entry.record.sent_at is None
    assert webhook.delivered() == []


def test_a_client_error_fails_at_once_without_blocking_other_subscribers(
    open_service, webhook: WebhookReceiver, make_event: Callable[..., Event]
) -> None:
    webhook.path_statuses["/hook"] = [400]
    other = macron_putin([webhook_channel(webhook.url + "/other")], id="other-desk")
    service = open_service([macron_putin([webhook_channel(webhook.url + "/hook")]), other])
    assert service.alerter is not None
    service.alerter.process([make_event("call_held", "lemonde")])

    def settled() -> bool:
        statuses = {e.record.subscription_id: e.record.status for e in outbox_entries(service)}
        return statuses == {
            "macron-putin": DeliveryStatus.FAILED,
            "other-desk": DeliveryStatus.SENT,
        }

    assert wait_for(settled)
    failed = next(e for e in outbox_entries(service) if e.record.subscription_id == "macron-putin")
    assert failed.record.attempts == 1
    assert failed.record.last_error is not None and "HTTP 400" in failed.record.last_error


def test_a_channel_rate_limit_spaces_its_messages(
    open_service, webhook: WebhookReceiver, make_event: Callable[..., Event]
) -> None:
    channel = {**webhook_channel(webhook.url + "/slow"), "max_per_second": 5}
    service = open_service([macron_putin([channel], actors_all=["Vladimir Putin"])])
    assert service.alerter is not None
    # Six distinct developments: six notifications for the same channel.
    events = [
        make_event("call_held", "lemonde", event_date=f"2024-{month:02d}-10")
        for month in range(1, 7)
    ]
    assert len(service.alerter.process(events).alerts) == 6
    assert wait_for(lambda: len(webhook.delivered()) == 6)
    arrivals = sorted(r.received_at for r in webhook.delivered())
    # Sends start 0.2 s apart; the first one also pays the connection setup.
    assert arrivals[-1] - arrivals[0] >= 0.8
    assert min(b - a for a, b in itertools.pairwise(arrivals[1:])) >= 0.15


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made for this test only."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_email_uses_starttls_when_configured(
    alerter_settings: AlerterSettings,
    es_settings: ElasticsearchSettings,
    smtp: SmtpSink,
    make_event: Callable[..., Event],
    tmp_path: Path,
) -> None:
    cert, key = _self_signed_certificate(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    smtp.tls_context = server_context
    smtp.start()
    settings = alerter_settings.model_copy(
        update={"smtp_ca_file": cert, "drain_timeout_seconds": 0.5}
    )
    tls = {**email_channel(smtp.port), "starttls": True}
    plain = {**email_channel(smtp.port), "to": ["plain@example.org"]}
    path = write_subscriptions(tmp_path / "subs.yaml", [macron_putin([tls, plain])])
    service = AlerterService(
        settings.model_copy(update={"es": es_settings}),
        subscriptions_file=path,
        use_gazetteer=False,
    )
    try:
        service.open()
        assert service.alerter is not None
        service.alerter.process([make_event("call_held", "lemonde")])
        assert wait_for(lambda: len(smtp.messages) == 1)

        def plain_refused() -> bool:
            entries = {e.record.channel: e for e in outbox_entries(service)}
            error = entries["email#1"].record.last_error
            return error is not None and "STARTTLS" in error

        assert wait_for(plain_refused)
    finally:
        service.close()
    assert smtp.tls_sessions == 1
    assert smtp.messages[0]["To"] == "desk@example.org"


def test_two_alerter_processes_racing_on_one_development_alert_once(
    open_service, webhook: WebhookReceiver, make_event: Callable[..., Event]
) -> None:
    subscriptions = [macron_putin([webhook_channel(webhook.url + "/hook")])]
    first, second = open_service(subscriptions), open_service(subscriptions)
    reports = [make_event("call_held", f"outlet-{i}") for i in range(16)]
    conflicts: list[int] = []  # typically about ten per run here: the race is real

    def consume(service: AlerterService, events: list[Event]) -> None:
        assert service.alerter is not None
        for event in events:
            # What the runtime does on SinkBusy: hand the same records again.
            for _ in range(50):
                try:
                    service.alerter.process([event])
                    break
                except StoreConflictError:
                    conflicts.append(1)
            else:
                raise AssertionError("no progress after 50 conflicts")

    threads = [
        threading.Thread(target=consume, args=(first, reports[0::2])),
        threading.Thread(target=consume, args=(second, reports[1::2])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert wait_for(lambda: len(webhook.delivered()) >= 1)
    assert first.dispatcher is not None and second.dispatcher is not None
    assert first.dispatcher.drain(10) and second.dispatcher.drain(10)
    assert len(webhook.delivered()) == 1
    assert first.store is not None
    (development,) = first.store.get_many(
        candidate_ids(reports[0], first.settings.development_window_days)
    ).values()
    assert development.development.source_count == 16
