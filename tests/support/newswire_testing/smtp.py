"""An SMTP sink on loopback (aiosmtpd): keeps every message, optionally behind STARTTLS."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from newswire.stack.processes import free_port
from newswire_testing.loopback import HOST


class SmtpSink:
    """An aiosmtpd server on a port of 127.0.0.1 chosen up front, started when the test says so.

    The port is known before :meth:`start`, so a test can configure a channel, let delivery
    fail while nothing listens, then start the sink. With ``tls_context`` set before starting,
    the sink requires STARTTLS and counts the sessions that used it (``tls_sessions``).
    """

    def __init__(self) -> None:
        self.port = free_port(HOST)
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.on_message: Callable[[EmailMessage], None] | None = None
        self.tls_context: ssl.SSLContext | None = None
        self.tls_sessions = 0
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        """Listen (from aiosmtpd's own thread)."""
        extra: dict[str, Any] = {}
        if self.tls_context is not None:
            extra = {"tls_context": self.tls_context, "require_starttls": True}
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port, **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (nothing to do when never started)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _received(self, message: EmailMessage, over_tls: bool) -> None:
        with self.lock:
            self.messages.append(message)
            if over_tls:
                self.tls_sessions += 1
        if self.on_message is not None:
            self.on_message(message)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.sink._received(message, over_tls=session.ssl is not None)
        return "250 OK"
