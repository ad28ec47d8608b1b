"""A webhook receiver on loopback: records every POST and answers with the statuses it is given."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from newswire_testing.loopback import LoopbackServer, LoopbackService, handler_calling


@dataclass(frozen=True)
class ReceivedRequest:
    """One POST the receiver answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    received_at: float

    def json(self) -> Any:
        """The body, parsed."""
        return json.loads(self.body)


class WebhookReceiver(LoopbackService):
    """Records every POST; answers from ``path_statuses[path]``, else ``statuses``, then 200.

    ``gate`` (when set) holds each answer until it is set (15 s at most), so a test sees the
    request arrive (``arrived``) before it is answered (``completed``).
    """

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.path_statuses: dict[str, list[int]] = {}
        self.gate: threading.Event | None = None
        self.requests: list[ReceivedRequest] = []
        self.arrived = 0
        self.completed = 0
        self.lock = threading.Lock()
        super().__init__(LoopbackServer(handler_calling(self._answer, "POST")))

    def stop(self) -> None:
        """Release a held answer, stop serving."""
        if self.gate is not None:
            self.gate.set()
        super().stop()

    def delivered(self, path: str | None = None) -> list[ReceivedRequest]:
        """The requests answered 200 (on ``path``, when given)."""
        with self.lock:
            return [
                r for r in self.requests if r.status == 200 and (path is None or r.path == path)
            ]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        with self.lock:
            self.arrived += 1
            queue = self.path_statuses.get(handler.path) or self.statuses
            status = queue.pop(0) if queue else 200
        if self.gate is not None:
            self.gate.wait(15)
        request = ReceivedRequest(
            handler.path, dict(handler.headers), body, status, time.monotonic()
        )
        with self.lock:
            self.requests.append(request)
        handler.send_response(status)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"ok")
        with self.lock:
            self.completed += 1
