"""The demo's subscribers: a loopback webhook endpoint and a local SMTP mailbox (aiosmtpd)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from newswire.stack.processes import free_port


class Inbox:
    """What a receiver got, safe to read from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Any] = []

    def add(self, item: Any) -> None:
        """Keep one received item."""
        with self._lock:
            self._items.append(item)

    def items(self) -> list[Any]:
        """A copy of everything received so far."""
        with self._lock:
            return list(self._items)


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, Inbox]]:
    """A loopback webhook endpoint; yields its URL and the notifications it received."""
    inbox = Inbox()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                inbox.add(json.loads(body))
            except ValueError:
                inbox.add({"unparsable": body.decode(errors="replace")})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", inbox
    finally:
        server.shutdown()
        server.server_close()


class _Mailbox:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        self.inbox.add(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "size": len(envelope.content),
            }
        )
        return "250 Message accepted for delivery"


@contextmanager
def smtp_mailbox() -> Iterator[tuple[int, Inbox]]:
    """A local SMTP server on loopback; yields its port and the messages it accepted."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(_Mailbox(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()
