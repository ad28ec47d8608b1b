"""The alerter as a consumer of real Kafka, with its state in the real Elasticsearch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
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
from consumers.alerter.service import events_topic, run_alerter
from consumers.alerter.settings import DEFAULT_SUBSCRIPTIONS_FILE, AlerterSettings
from consumers.alerter.signing import IDEMPOTENCY_HEADER, verify_signature
from consumers.alerter.store import DevelopmentStore, Outbox
from consumers.alerter.subscriptions import load_catalogue
from newswire.settings import ElasticsearchSettings
from newswire.transport.kafka import RecordPublisher
from schemas.events import Event, Modality
from schemas.notifications import DeliveryStatus

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[4]
KILLED_AFTER_SEND = Path(__file__).resolve().parent / "alerter_killed_after_send.py"


def publish(settings: AlerterSettings, events: list[Event]) -> None:
    with RecordPublisher(settings.kafka) as publisher:
        publisher.publish(events_topic(settings), events)


def consume_until_idle(settings: AlerterSettings, subscriptions: Path, idle: float = 3.0) -> int:
    return run_alerter(
        settings, idle, subscriptions_file=subscriptions, install_signal_handlers=False
    )


def outbox(settings: AlerterSettings, es_client: Elasticsearch) -> Outbox:
    return Outbox(es_client, settings.outbox_index)


def development_of(settings: AlerterSettings, es_client: Elasticsearch, event: Event) -> Any:
    store = DevelopmentStore(es_client, settings.developments_index)
    found = store.get_many(candidate_ids(event, settings.development_window_days))
    assert len(found) == 1
    return next(iter(found.values())).development


def test_twenty_reports_of_one_call_alert_once_per_subscriber_and_channel(
    alerter_settings: AlerterSettings,
    es_client: Elasticsearch,
    webhook: WebhookReceiver,
    smtp: SmtpSink,
    make_event: Callable[..., Event],
    tmp_path: Path,
) -> None:
    smtp.start()
    subscriptions = write_subscriptions(
        tmp_path / "subs.yaml",
        [
            macron_putin(
                [webhook_channel(webhook.url + "/a"), email_channel(smtp.port)], id="desk-a"
            ),
            macron_putin(
                [webhook_channel(webhook.url + "/b")],
                id="desk-b",
                actors_all=["Putin", "Macron"],
            ),
        ],
    )
    # Twenty outlets, four phrasings, dates a day apart: one development.
    phrasings = [
        "French President Emmanuel Macron held a phone call with Russian President Vladimir Putin on Monday about Ukraine.",
        "Macron and Putin spoke by phone on Monday, the Elysee said.",
        "Putin told Macron in a two-hour call on Monday that talks on Ukraine were possible.",
        "The Kremlin said Putin and Macron discussed Ukraine by telephone.",
    ]
    reports = [
        make_event(
            "call_held",
            f"outlet-{i}",
            evidence=phrasings[i % 4],
            event_date="2024-03-18" if i % 3 else "2024-03-19",
        )
        for i in range(20)
    ]
    publish(alerter_settings, reports)
    assert consume_until_idle(alerter_settings, subscriptions) == 0

    assert len(webhook.delivered("/a")) == 1
    assert len(webhook.delivered("/b")) == 1
    assert len(smtp.messages) == 1
    development = development_of(alerter_settings, es_client, reports[0])
    assert development.source_count == 20
    assert len(development.event_ids) == 20
    entries = outbox(alerter_settings, es_client).search()
    assert sorted((e.record.subscription_id, e.record.channel) for e in entries) == [
        ("desk-a", "email#1"),
        ("desk-a", "webhook#0"),
        ("desk-b", "webhook#0"),
    ]
    assert {e.record.status for e in entries} == {DeliveryStatus.SENT}
    for request in webhook.delivered():
        assert verify_signature(
            WEBHOOK_SECRET, request.headers["X-Newswire-Signature"], request.body
        )


def test_will_hold_a_call_then_held_a_call_gives_one_alert_then_one_follow_up(
    alerter_settings: AlerterSettings,
    es_client: Elasticsearch,
    webhook: WebhookReceiver,
    make_event: Callable[..., Event],
    macron_putin_file: Path,
) -> None:
    subscriptions = macron_putin_file
    publish(
        alerter_settings, [make_event("call_planned", "elysee"), make_event("call_planned", "afp")]
    )
    assert consume_until_idle(alerter_settings, subscriptions) == 0
    publish(alerter_settings, [make_event("call_held", "reuters"), make_event("call_held", "bbc")])
    assert consume_until_idle(alerter_settings, subscriptions) == 0

    bodies = [r.json() for r in webhook.delivered()]
    assert [(b["kind"], b["development_version"]) for b in bodies] == [("new", 1), ("update", 2)]
    assert bodies[1]["changes"] == ["modality changed from planned to asserted"]
    assert bodies[0]["development_id"] == bodies[1]["development_id"]
    development = development_of(alerter_settings, es_client, make_event("call_held"))
    assert development.modality is Modality.ASSERTED
    assert development.source_count == 4


def test_ruled_out_troops_give_no_deployment_alert_under_default_modalities(
    alerter_settings: AlerterSettings,
    es_client: Elasticsearch,
    webhook: WebhookReceiver,
    make_event: Callable[..., Event],
    tmp_path: Path,
) -> None:
    # The shipped defaults, pointed at this test's receiver.
    text = (
        DEFAULT_SUBSCRIPTIONS_FILE.read_text()
        .replace("http://127.0.0.1:8085/hook", webhook.url + "/hook")
        .replace("NEWSWIRE_WEBHOOK_SECRET", "NEWSWIRE_TEST_WEBHOOK_SECRET")
    )
    subscriptions = tmp_path / "defaults.yaml"
    subscriptions.write_text(text)
    assert load_catalogue(subscriptions).subscriptions[1].id == "troops-to-ukraine"

    ruled_out = make_event("troops_ruled_out", "lemonde")
    publish(alerter_settings, [ruled_out])
    assert consume_until_idle(alerter_settings, subscriptions) == 0
    assert webhook.arrived == 0
    assert development_of(alerter_settings, es_client, ruled_out).modality is Modality.NEGATED
    assert outbox(alerter_settings, es_client).search() == []

    # Control: a planned deployment by France to Ukraine does alert that subscription.
    planned = make_event("troops_planned", "reuters")
    publish(alerter_settings, [planned])
    assert consume_until_idle(alerter_settings, subscriptions) == 0
    bodies = [r.json() for r in webhook.delivered()]
    assert [(b["subscription_id"], b["event"]["modality"]) for b in bodies] == [
        ("troops-to-ukraine", "planned")
    ]


def _run_alerter_process(
    settings: AlerterSettings,
    es_settings: ElasticsearchSettings,
    subscriptions: Path,
    *,
    kill_after_send: bool,
    group_id: str | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "NEWSWIRE_ES_URL": es_settings.url,
        "NEWSWIRE_ALERTER_TOPIC": settings.topic,
        "NEWSWIRE_ALERTER_GROUP_ID": group_id or settings.group_id,
        "NEWSWIRE_ALERTER_DEVELOPMENTS_INDEX": settings.developments_index,
        "NEWSWIRE_ALERTER_OUTBOX_INDEX": settings.outbox_index,
        "NEWSWIRE_ALERTER_POLL_TIMEOUT_MS": "200",
        "NEWSWIRE_TEST_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    return subprocess.run(
        [
            sys.executable,
            *([str(KILLED_AFTER_SEND)] if kill_after_send else ["-m", "consumers.alerter.service"]),
            "--subscriptions",
            str(subscriptions),
            "--until-idle",
            "3",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sigkill_between_send_and_record_repeats_at_most_once_and_a_reset_sends_nothing_new(
    alerter_settings: AlerterSettings,
    es_settings: ElasticsearchSettings,
    es_client: Elasticsearch,
    webhook: WebhookReceiver,
    make_event: Callable[..., Event],
    macron_putin_file: Path,
) -> None:
    subscriptions = macron_putin_file
    publish(alerter_settings, [make_event("call_held", f"outlet-{i}") for i in range(3)])

    killed = _run_alerter_process(
        alerter_settings, es_settings, subscriptions, kill_after_send=True
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert len(webhook.delivered()) == 1
    (entry,) = outbox(alerter_settings, es_client).search()
    assert entry.record.status is DeliveryStatus.PENDING

    restarted = _run_alerter_process(
        alerter_settings, es_settings, subscriptions, kill_after_send=False
    )
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    delivered = webhook.delivered()
    assert len(delivered) == 2
    assert len({r.headers[IDEMPOTENCY_HEADER] for r in delivered}) == 1
    (entry,) = outbox(alerter_settings, es_client).search()
    assert entry.record.status is DeliveryStatus.SENT
    # The delivery's log line carries the ids to follow it back to its event and article.
    (sent,) = [
        line
        for line in map(
            json.loads, filter(lambda x: x.startswith("{"), restarted.stderr.splitlines())
        )
        if line.get("event") == "delivered"
    ]
    assert sent["development_id"] == entry.record.development_id
    assert sent["event_id"] == entry.notification.event.event_id
    assert sent["article_id"] == entry.notification.event.article_id

    # Reset the group to the earliest offsets: every event is read again, nothing is sent.
    admin = KafkaAdminClient(**alerter_settings.kafka.client_options())
    try:
        partitions = [TopicPartition(alerter_settings.topic, p) for p in range(3)]
        result = admin.reset_group_offsets(
            alerter_settings.group_id, dict.fromkeys(partitions, OffsetSpec.EARLIEST)
        )
        assert {value["offset"] for value in result.values()} == {0}
    finally:
        admin.close()
    replayed = _run_alerter_process(
        alerter_settings, es_settings, subscriptions, kill_after_send=False
    )
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    committed = [
        json.loads(line)
        for line in replayed.stderr.splitlines()
        if line.startswith("{") and '"batch_committed"' in line
    ]
    assert sum(entry["done"] for entry in committed) == 3  # every event was read again
    assert len(webhook.delivered()) == 2
    assert len(outbox(alerter_settings, es_client).search()) == 1
