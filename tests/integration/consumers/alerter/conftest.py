"""Fixtures of the alerter's integration tests: real Kafka and Elasticsearch (the local stack),
a topic, a group and indices of the test's own, alerter services opened over a subscriptions
file. The webhook receiver and the SMTP sink are the plugin's (``webhook``, ``smtp``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from newswire_testing.owned import owned_alerter_settings
from newswire_testing.subscriptions import (
    WEBHOOK_SECRET,
    WEBHOOK_SECRET_ENV,
    macron_putin,
    webhook_channel,
    write_subscriptions,
)
from newswire_testing.webhook import WebhookReceiver

from consumers.alerter.service import AlerterService
from consumers.alerter.settings import AlerterSettings
from newswire.settings import ElasticsearchSettings, KafkaSettings


@pytest.fixture
def alerter_settings(
    kafka_settings: KafkaSettings,
    es_client: Elasticsearch,
    unique_suffix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AlerterSettings]:
    """Settings with a topic, a group and indices owned by this test (deleted afterwards)."""
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, WEBHOOK_SECRET)
    settings = owned_alerter_settings(
        kafka_settings,
        "test",
        unique_suffix,
        retry_initial_seconds=0.05,
        retry_max_seconds=0.5,
        give_up_after_seconds=120,
        drain_timeout_seconds=20,
        poll_timeout_seconds=0.2,
        digest_tick_seconds=0.2,
    )
    admin = KafkaAdminClient(**kafka_settings.client_options())
    try:
        admin.create_topics(
            [NewTopic(settings.topic, 3, 1), NewTopic(settings.topic + ".dlq", 1, 1)]
        )
    finally:
        admin.close()
    yield settings
    for index in (settings.developments_index, settings.outbox_index):
        es_client.options(ignore_status=404).indices.delete(index=index)
    admin = KafkaAdminClient(**kafka_settings.client_options())
    try:
        admin.delete_topics([settings.topic, settings.topic + ".dlq"])
    finally:
        admin.close()


@pytest.fixture
def macron_putin_file(webhook: WebhookReceiver, tmp_path: Path) -> Path:
    """A subscriptions file with :func:`macron_putin` alone, delivering to ``webhook`` /hook."""
    return write_subscriptions(
        tmp_path / "subs.yaml", [macron_putin([webhook_channel(webhook.url + "/hook")])]
    )


@pytest.fixture
def es_settings_for_alerter(es_settings: ElasticsearchSettings) -> ElasticsearchSettings:
    return es_settings


@pytest.fixture
def open_service(
    alerter_settings: AlerterSettings, es_settings: ElasticsearchSettings, tmp_path: Path
) -> Iterator[Callable[..., AlerterService]]:
    """Opens alerter services over a subscriptions file; closes them after the test."""
    services: list[AlerterService] = []

    def factory(subscriptions: list[dict[str, Any]], **kwargs: Any) -> AlerterService:
        path = write_subscriptions(tmp_path / "subscriptions.yaml", subscriptions)
        service = AlerterService(
            alerter_settings.model_copy(update={"es": es_settings}),
            subscriptions_file=path,
            use_gazetteer=False,
            **kwargs,
        )
        service.open()
        services.append(service)
        return service

    yield factory
    for service in services:
        service.close()
