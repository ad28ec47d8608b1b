"""The alerter started while Elasticsearch is unresponsive waits for it instead of exiting.

Elasticsearch is "unresponsive" behind the plugin's fault proxy, bound (connections are
accepted into the listen backlog) but not serving yet, so every request times out, as a frozen
node. Once the alerter says it is waiting (its gauge), the test starts the proxy: the alerter
sets up its indices, consumes the published event, alerts once and exits 0 after --until-idle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from newswire_testing.clock import wait_for
from newswire_testing.faultproxy import FaultProxy
from newswire_testing.webhook import WebhookReceiver

from consumers.alerter.service import AlerterService, events_topic
from consumers.alerter.settings import AlerterSettings
from consumers.runtime.startup import StartupTimeoutError
from newswire.settings import ElasticsearchSettings
from newswire.transport.kafka import RecordPublisher
from schemas.events import Event

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WAITING = "newswire_consumer_waiting_for_dependency"
FAILED = "newswire_consumer_startup_attempts_failed_total"
LABELS = {"stage": "alerter", "dependency": "elasticsearch"}


def _service(settings: AlerterSettings, subscriptions: Path, url: str) -> AlerterService:
    es = ElasticsearchSettings(url=url, request_timeout_seconds=1.0)
    return AlerterService(settings.model_copy(update={"es": es}), subscriptions_file=subscriptions)


def test_alerter_started_while_elasticsearch_is_unresponsive_waits_then_alerts_once(
    alerter_settings: AlerterSettings,
    es_settings: ElasticsearchSettings,
    webhook: WebhookReceiver,
    macron_putin_file: Path,
    make_event: Callable[..., Event],
) -> None:
    with RecordPublisher(alerter_settings.kafka) as publisher:
        publisher.publish(events_topic(alerter_settings), [make_event("call_held", "lemonde")])
    proxy = FaultProxy(es_settings.url)  # bound, not serving: requests time out
    service = _service(alerter_settings, macron_putin_file, proxy.url)
    exit_codes: list[int] = []
    thread = threading.Thread(
        target=lambda: exit_codes.append(service.run(3.0, install_signal_handlers=False)),
        daemon=True,
    )
    thread.start()
    try:
        metrics = service.consumer_metrics
        assert wait_for(lambda: metrics.value(FAILED, LABELS) >= 2, timeout=60)
        assert metrics.value(WAITING, LABELS) == 1.0
        assert thread.is_alive() and not service.ready.is_set()
        proxy.start()
        thread.join(120)
        assert not thread.is_alive(), "the alerter did not finish"
    finally:
        proxy.stop()
        service.stop()
        thread.join(30)
    assert exit_codes == [0]
    assert metrics.value(WAITING, LABELS) == 0.0
    assert len(webhook.delivered("/hook")) == 1


def test_alerter_gives_up_with_a_clear_error_when_the_start_up_wait_runs_out(
    alerter_settings: AlerterSettings,
    es_settings: ElasticsearchSettings,
    macron_putin_file: Path,
) -> None:
    proxy = FaultProxy(es_settings.url)  # never serves
    settings = alerter_settings.model_copy(update={"startup_wait_seconds": 3.0})
    service = _service(settings, macron_putin_file, proxy.url)
    try:
        with pytest.raises(StartupTimeoutError, match="elasticsearch did not answer within 3 s"):
            service.run(1.0, install_signal_handlers=False)
    finally:
        proxy.stop()
    assert service.consumer_metrics.value(WAITING, LABELS) == 0.0
