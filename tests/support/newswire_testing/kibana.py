"""Kibana's saved-objects import endpoint on loopback: records each import, answers like Kibana."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from newswire_testing.loopback import LoopbackServer, LoopbackService, handler_calling


@dataclass(frozen=True)
class ImportRequest:
    """One import request as the endpoint received it."""

    path: str
    xsrf: str
    auth: str
    body: str


class KibanaImportEndpoint(LoopbackService):
    """Answers ``POST /api/saved_objects/_import`` with ``status`` (200: every object counted)."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[ImportRequest] = []
        super().__init__(LoopbackServer(handler_calling(self._answer, "POST")))

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        self.received.append(
            ImportRequest(
                path=handler.path,
                xsrf=handler.headers.get("kbn-xsrf", ""),
                auth=handler.headers.get("Authorization", ""),
                body=body.decode("utf-8", errors="replace"),
            )
        )
        count = body.count(b'"type"')
        payload = {"success": self.status == 200, "successCount": count, "errors": []}
        data = json.dumps(payload).encode()
        handler.send_response(self.status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
