"""Notifiers against the plugin's loopback webhook receiver, and the channel registry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from newswire_testing.webhook import WebhookReceiver

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


def test_the_registry_maps_each_channel_type_to_its_notifier() -> None:
    assert set(CHANNELS) == {"webhook", "slack", "email", "apprise"}
    assert CHANNELS["slack"].options_model is SlackChannel
    notifier = build_notifier(
        WebhookChannel(type="webhook", url="http://127.0.0.1:1/"), AlerterSettings()
    )
    assert isinstance(notifier, WebhookNotifier)


def test_slack_posts_blocks_to_the_secret_url(webhook: WebhookReceiver, monkeypatch) -> None:
    monkeypatch.setenv("NEWSWIRE_TEST_SLACK_URL", webhook.url + "/services/T/B/X")
    notifier = SlackNotifier(
        SlackChannel(type="slack", webhook_url_env="NEWSWIRE_TEST_SLACK_URL"), AlerterSettings()
    )
    notification = sample_notification(SUBSCRIPTION, datetime(2024, 3, 18, tzinfo=UTC))
    notifier.send(notification, notification.idempotency_key)
    notifier.close()
    (request,) = webhook.requests
    payload = request.json()
    assert payload["text"] == notification.headline
    assert payload["blocks"][0]["type"] == "header"
    assert request.headers["Idempotency-Key"] == notification.idempotency_key


def test_slack_without_its_url_variable_is_a_config_error(monkeypatch) -> None:
    monkeypatch.delenv("NEWSWIRE_TEST_SLACK_URL", raising=False)
    with pytest.raises(ChannelConfigError, match="NEWSWIRE_TEST_SLACK_URL is not set"):
        SlackNotifier(
            SlackChannel(type="slack", webhook_url_env="NEWSWIRE_TEST_SLACK_URL"),
            AlerterSettings(),
        )


def test_server_errors_are_retryable_and_client_errors_permanent(
    webhook: WebhookReceiver,
) -> None:
    notifier = WebhookNotifier(
        WebhookChannel(type="webhook", url=webhook.url + "/services/T/B/X"), AlerterSettings()
    )
    notification = sample_notification(SUBSCRIPTION, datetime(2024, 3, 18, tzinfo=UTC))
    webhook.statuses.extend([503, 429, 400])
    for expected in (DeliveryError, DeliveryError, PermanentDeliveryError):
        with pytest.raises(DeliveryError) as caught:
            notifier.send(notification, notification.idempotency_key)
        assert type(caught.value) is expected
    notifier.send(notification, notification.idempotency_key)
    notifier.close()
