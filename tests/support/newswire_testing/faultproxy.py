"""A fault-injecting HTTP proxy on loopback, in front of the real Elasticsearch.

The shared local Elasticsearch is never stopped by a test: its faults (connections reset, slow
or partly rejected bulk requests) come from :class:`FaultProxy`.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from newswire_testing.loopback import LoopbackServer, LoopbackService

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "host",
    "accept-encoding",
}


class FaultProxy(LoopbackService):
    """An HTTP proxy on loopback in front of Elasticsearch that injects faults on demand.

    - ``refuse = True``: every connection (new or kept alive) is reset without an answer, as
      when the node is down;
    - ``bulk_delay_s``: every ``_bulk`` request waits that long first (a slow node);
    - ``reject_bulk_items(n)``: the next ``n`` items of ``_bulk`` requests are not forwarded
      and come back as item-level ``429 es_rejected_execution_exception`` inside an otherwise
      successful bulk response (every other item is forwarded and answered for real).
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.refuse = False
        self.bulk_delay_s = 0.0
        self.rejected = 0
        self.requests = 0
        self._reject_budget = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=self.upstream, timeout=30.0)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def handle_one_request(self) -> None:
                if proxy.refuse:
                    self._reset()
                    return
                super().handle_one_request()

            def _reset(self) -> None:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True

            def _forward(self) -> None:
                if proxy.refuse:
                    self._reset()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                status, out_headers, payload = proxy.forward(self.command, self.path, headers, body)
                self.send_response(status)
                for name, value in out_headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815 -- http.server names

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client killed mid-request (the SIGKILL test) is expected, not an error.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        super().__init__(LoopbackServer(Handler, server_class=Server))

    def stop(self) -> None:
        """Stop serving; close the client to the upstream."""
        super().stop()
        self._client.close()

    def reject_bulk_items(self, count: int) -> None:
        with self._lock:
            self._reject_budget = count

    def _take_rejections(self, available: int) -> int:
        with self._lock:
            taken = min(self._reject_budget, available)
            self._reject_budget -= taken
            self.rejected += taken
            return taken

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        self.requests += 1
        is_bulk = path.split("?")[0].endswith("/_bulk")
        if is_bulk and self.bulk_delay_s:
            time.sleep(self.bulk_delay_s)
        if is_bulk and self._reject_budget > 0:
            return self._forward_bulk_with_rejections(method, path, headers, body)
        response = self._client.request(method, path, headers=headers, content=body)
        return self._relay(response)

    @staticmethod
    def _relay(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
        kept = [(k, v) for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP]
        return response.status_code, kept, response.content

    def _forward_bulk_with_rejections(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        lines = [line for line in body.split(b"\n") if line.strip()]
        pairs = [lines[i : i + 2] for i in range(0, len(lines), 2)]  # index ops: action + source
        # Reject every other item (up to the budget) so one response mixes both outcomes.
        candidates = list(range(0, len(pairs), 2))
        rejected = set(candidates[: self._take_rejections(len(candidates))])
        forwarded = [pair for i, pair in enumerate(pairs) if i not in rejected]
        real_items: list[Any] = []
        took = 0
        if forwarded:
            payload = b"\n".join(line for pair in forwarded for line in pair) + b"\n"
            response = self._client.request(method, path, headers=headers, content=payload)
            if response.status_code != 200:
                return self._relay(response)
            answer = response.json()
            real_items = list(answer["items"])
            took = int(answer.get("took", 0))
        items: list[Any] = []
        real = iter(real_items)
        for i, pair in enumerate(pairs):
            if i in rejected:
                action = json.loads(pair[0])
                op, meta = next(iter(action.items()))
                items.append(
                    {
                        op: {
                            "_index": meta.get("_index"),
                            "_id": meta.get("_id"),
                            "status": 429,
                            "error": {
                                "type": "es_rejected_execution_exception",
                                "reason": "rejected by the test proxy",
                            },
                        }
                    }
                )
            else:
                items.append(next(real))
        body_out = json.dumps({"took": took, "errors": True, "items": items}).encode()
        headers_out = [("content-type", "application/json"), ("X-Elastic-Product", "Elasticsearch")]
        return 200, headers_out, body_out
