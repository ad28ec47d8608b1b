"""Notifiers against a local HTTP receiver (stdlib), and the channel registry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from consumers.alerter.channels import (
    CHANNELS,
    PermanentDeliveryError,
    SlackNotifier,
    WebhookNotifier,
    build_notifier,
)
from consumers.alerter.commands import sample_notification
from consumers.alerter.errors import ChannelConfigError, DeliveryError
from consumers.alerter.settings import AlerterSettings
from schemas.subscriptions import SlackChannel, Subscription, WebhookChannel

SUBSCRIPTION = Subscription.model_validate_json(
    '{"id": "macron-putin", "event_types": ["LEADER_CONTACT"],'
    ' "actors_all": ["Emmanuel Macron", "Vladimir Putin"],'
    ' "channels": [{"type": "webhook", "url": "http://127.0.0.1:1/"}]}'
)


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[int], list[tuple[dict[str, str], bytes]]]]:
    statuses: list[int] = []
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T/B/X", statuses, received
    server.shutdown()
    server.server_close()


def test_the_registry_maps_each_channel_type_to_its_notifier() -> None:
    assert set(CHANNELS) == {"webhook", "slack", "email", "apprise"}
    assert CHANNELS["slack"].options_model is SlackChannel
    notifier = build_notifier(
        WebhookChannel(type="webhook", url="http://127.0.0.1:1/"), AlerterSettings()
    )
    assert isinstance(notifier, WebhookNotifier)


def test_slack_posts_blocks_to_the_secret_url(receiver, monkeypatch) -> None:
    url, _, received = receiver
    monkeypatch.setenv("NEWSWIRE_TEST_SLACK_URL", url)
    notifier = SlackNotifier(
        SlackChannel(type="slack", webhook_url_env="NEWSWIRE_TEST_SLACK_URL"), AlerterSettings()
    )
    notification = sample_notification(SUBSCRIPTION, datetime(2024, 3, 18, tzinfo=UTC))
    notifier.send(notification, notification.idempotency_key)
    notifier.close()
    ((headers, body),) = received
    payload = json.loads(body)
    assert payload["text"] == notification.headline
    assert payload["blocks"][0]["type"] == "header"
    assert headers["Idempotency-Key"] == notification.idempotency_key


def test_slack_without_its_url_variable_is_a_config_error(monkeypatch) -> None:
    monkeypatch.delenv("NEWSWIRE_TEST_SLACK_URL", raising=False)
    with pytest.raises(ChannelConfigError, match="NEWSWIRE_TEST_SLACK_URL is not set"):
        SlackNotifier(
            SlackChannel(type="slack", webhook_url_env="NEWSWIRE_TEST_SLACK_URL"),
            AlerterSettings(),
        )


def test_server_errors_are_retryable_and_client_errors_permanent(receiver) -> None:
    url, statuses, _ = receiver
    notifier = WebhookNotifier(WebhookChannel(type="webhook", url=url), AlerterSettings())
    notification = sample_notification(SUBSCRIPTION, datetime(2024, 3, 18, tzinfo=UTC))
    statuses.extend([503, 429, 400])
    for expected in (DeliveryError, DeliveryError, PermanentDeliveryError):
        with pytest.raises(DeliveryError) as caught:
            notifier.send(notification, notification.idempotency_key)
        assert type(caught.value) is expected
    notifier.send(notification, notification.idempotency_key)
    notifier.close()
