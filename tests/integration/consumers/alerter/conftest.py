"""Fixtures of the alerter's integration tests: real Kafka and Elasticsearch (the local stack),
a local webhook receiver (stdlib http.server) and a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from consumers.alerter.service import AlerterService
from consumers.alerter.settings import AlerterSettings
from newswire.settings import ElasticsearchSettings, KafkaSettings

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "alerter"
WEBHOOK_SECRET = "integration-test-secret"


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    received_at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A local HTTP server recording every POST; answers from ``statuses`` then 200."""

    statuses: list[int] = field(default_factory=list)
    path_statuses: dict[str, list[int]] = field(default_factory=dict)
    gate: threading.Event | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    completed: int = 0
    arrived: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.arrived += 1
                    queue = receiver.path_statuses.get(self.path) or receiver.statuses
                    status = queue.pop(0) if queue else 200
                if receiver.gate is not None:
                    receiver.gate.wait(15)
                with receiver.lock:
                    receiver.requests.append(
                        ReceivedRequest(
                            self.path, dict(self.headers), body, status, time.monotonic()
                        )
                    )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with receiver.lock:
                    receiver.completed += 1

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.gate is not None:
            self.gate.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def delivered(self, path: str | None = None) -> list[ReceivedRequest]:
        with self.lock:
            return [
                r for r in self.requests if r.status == 200 and (path is None or r.path == path)
            ]


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.sink.lock:
            self.sink.messages.append(message)
            if session.ssl is not None:
                self.sink.tls_sessions += 1
        if self.sink.on_message is not None:
            self.sink.on_message(message)
        return "250 OK"


@dataclass
class SmtpSink:
    """A local aiosmtpd server on a fixed port, started when the test says so."""

    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_message: Callable[[EmailMessage], None] | None = None
    controller: Controller | None = None
    tls_context: ssl.SSLContext | None = None
    tls_sessions: int = 0

    def start(self) -> None:
        extra: dict[str, Any] = {}
        if self.tls_context is not None:
            extra = {"tls_context": self.tls_context, "require_starttls": True}
        self.controller = Controller(
            _SmtpHandler(self), hostname="127.0.0.1", port=self.port, **extra
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture
def alerter_settings(
    kafka_settings: KafkaSettings,
    es_client: Elasticsearch,
    unique_suffix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AlerterSettings]:
    """Settings with a topic, a group and indices owned by this test (deleted afterwards)."""
    monkeypatch.setenv("NEWSWIRE_TEST_WEBHOOK_SECRET", WEBHOOK_SECRET)
    settings = AlerterSettings(
        kafka=kafka_settings,
        topic=f"test.alerter.{unique_suffix}",
        group_id=f"test-alerter-{unique_suffix}",
        developments_index=f"test-alerter-developments-{unique_suffix}",
        outbox_index=f"test-alerter-outbox-{unique_suffix}",
        retry_initial_seconds=0.05,
        retry_max_seconds=0.5,
        give_up_after_seconds=120,
        drain_timeout_seconds=20,
        poll_timeout_ms=200,
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


def write_subscriptions(path: Path, subscriptions: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"subscriptions": subscriptions}, sort_keys=False))
    return path


def webhook_channel(url: str) -> dict[str, Any]:
    return {
        "type": "webhook",
        "url": url,
        "secret_env": "NEWSWIRE_TEST_WEBHOOK_SECRET",
        "timeout_seconds": 5,
    }


def email_channel(port: int) -> dict[str, Any]:
    return {"type": "email", "to": ["desk@example.org"], "smtp_port": port, "timeout_seconds": 5}


def macron_putin(channels: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """The subscription most tests use: Macron and Putin in contact; ``extra`` overrides fields.

    ``macron_putin([webhook_channel(url)], id="desk-b", actors_all=["Putin", "Macron"])``.
    """
    return {
        "id": "macron-putin",
        "event_types": ["LEADER_CONTACT"],
        "actors_all": ["Emmanuel Macron", "Vladimir Putin"],
        "channels": channels,
        **extra,
    }


@pytest.fixture
def macron_putin_file(webhook: WebhookReceiver, tmp_path: Path) -> Path:
    """A subscriptions file with :func:`macron_putin` alone, delivering to ``webhook`` /hook."""
    return write_subscriptions(
        tmp_path / "subs.yaml", [macron_putin([webhook_channel(webhook.url + "/hook")])]
    )


@pytest.fixture
def es_settings_for_alerter(es_settings: ElasticsearchSettings) -> ElasticsearchSettings:
    return es_settings


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def open_service(
    alerter_settings: AlerterSettings, es_settings: ElasticsearchSettings, tmp_path: Path
) -> Iterator[Callable[..., AlerterService]]:
    """Opens alerter services over a subscriptions file; closes them after the test."""
    services: list[AlerterService] = []

    def factory(subscriptions: list[dict[str, Any]], **kwargs: Any) -> AlerterService:
        path = write_subscriptions(tmp_path / "subscriptions.yaml", subscriptions)
        service = AlerterService(
            alerter_settings,
            subscriptions_file=path,
            es_settings=es_settings,
            use_gazetteer=False,
            **kwargs,
        )
        service.open()
        services.append(service)
        return service

    yield factory
    for service in services:
        service.close()
