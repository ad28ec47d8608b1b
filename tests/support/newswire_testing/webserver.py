"""A real HTTP server on 127.0.0.1 for the fetch and reader tests (stdlib, one thread per request).

Static files come from tests/fixtures/ingest/web/ with ``{{base}}`` replaced by
``http://<Host header>``, so a page reached through a test host name links with that name.
Static files carry an ETag and a Last-Modified and answer conditional requests with 304.
Dynamic routes produce the misbehaviour the tests need (429, slow, huge, binary, redirects...).
Every response is logged (path, host, status, body bytes sent) for the tests to check.
"""

from __future__ import annotations

import gzip
import hashlib
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpcore

from newswire_testing.loopback import LoopbackServer, handler_calling

WEB_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "ingest" / "web"
LAST_MODIFIED = "Wed, 20 Mar 2024 10:00:00 GMT"
HUGE_BYTES = 50 * 1024 * 1024
HANG_UP = 0  # a Reply status meaning: close the connection without answering
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
CONTENT_TYPES = {
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Served:
    """One request the server answered."""

    path: str
    host: str
    status: int
    body_bytes: int
    headers: dict[str, str]


@dataclass
class Reply:
    """What a route answers."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


Route = Callable[["RequestContext"], Reply]


@dataclass(frozen=True)
class RequestContext:
    """The request as a route sees it."""

    path: str
    query: dict[str, list[str]]
    host: str
    headers: dict[str, str]
    server: WebServer

    @property
    def base(self) -> str:
        return f"http://{self.host}"


class WebServer:
    """The server; ``start()`` binds 127.0.0.1 on a free port, ``stop()`` shuts it down.

    With ``tls`` it answers HTTPS (the ``https`` URLs are the caller's to build).
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.log: list[Served] = []
        self.counters: dict[str, int] = {}
        self.lock = threading.Condition()
        self.in_flight = 0
        self.routes: dict[str, Route] = {}
        self._server: LoopbackServer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> None:
        self._server = LoopbackServer(handler_calling(self.handle, "GET"), tls=self.tls).start()
        self.port = self._server.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def bump(self, key: str) -> int:
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    def served(self, path_prefix: str = "") -> list[Served]:
        """Logged requests under a path prefix, once requests still being answered are done."""
        with self.lock:
            self.lock.wait_for(lambda: self.in_flight == 0, timeout=5.0)
            return [entry for entry in self.log if entry.path.startswith(path_prefix)]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.in_flight += 1
        try:
            self._answer(handler)
        finally:
            with self.lock:
                self.in_flight -= 1
                self.lock.notify_all()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        headers = {key.lower(): value for key, value in handler.headers.items()}
        context = RequestContext(
            path=parts.path,
            query=parse_qs(parts.query),
            host=headers.get("host", f"127.0.0.1:{self.port}"),
            headers=headers,
            server=self,
        )
        route = self.routes.get(parts.path) or _default_route
        reply = route(context)
        sent = 0
        if reply.status == HANG_UP:
            handler.close_connection = True
            with self.lock:
                self.log.append(Served(parts.path, context.host, reply.status, 0, headers))
            return
        try:
            handler.send_response(reply.status)
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            if isinstance(reply.body, bytes) and "Content-Length" not in reply.headers:
                handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body
            for chunk in chunks:
                handler.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up (size cap, timeout): expected in these tests
        finally:
            with self.lock:
                self.log.append(Served(parts.path, context.host, reply.status, sent, headers))


def static_reply(context: RequestContext, relative: str, content_type: str | None = None) -> Reply:
    """A fixture file with ``{{base}}`` filled in, ETag/Last-Modified, 304 when unchanged."""
    path = WEB_DIR / relative
    if not path.is_file():
        return Reply(404, {"Content-Type": "text/plain"}, b"not found")
    body = path.read_bytes().replace(b"{{base}}", context.base.encode())
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    headers = {
        "Content-Type": content_type or CONTENT_TYPES.get(path.suffix, "text/plain"),
        "ETag": etag,
        "Last-Modified": LAST_MODIFIED,
    }
    if context.headers.get("if-none-match") == etag or (
        "if-none-match" not in context.headers
        and context.headers.get("if-modified-since") == LAST_MODIFIED
    ):
        return Reply(304, {"ETag": etag}, b"")
    return Reply(200, headers, body)


def _default_route(context: RequestContext) -> Reply:
    return static_reply(context, context.path.lstrip("/"))


def _robots(context: RequestContext) -> Reply:
    name = context.host.split(":")[0]
    if name.startswith("robots-503."):
        return Reply(503, {"Content-Type": "text/plain"}, b"unavailable")
    if name.startswith("robots-down."):
        return Reply(HANG_UP)
    if name.startswith("robots-404."):
        return Reply(404, {"Content-Type": "text/plain"}, b"no robots here")
    return static_reply(context, "robots.txt")


def _huge_chunks() -> Iterator[bytes]:
    chunk = b"<p>" + b"a" * (64 * 1024 - 7) + b"</p>\n"
    for _ in range(HUGE_BYTES // len(chunk) + 1):
        yield chunk


def _huge(context: RequestContext) -> Reply:
    return Reply(200, {"Content-Type": "text/html", "Connection": "close"}, _huge_chunks())


def _huge_declared(context: RequestContext) -> Reply:
    headers = {"Content-Type": "text/html", "Content-Length": str(HUGE_BYTES)}
    return Reply(200, headers, _huge_chunks())


def _slow(context: RequestContext) -> Reply:
    context.server.bump("slow")
    time.sleep(2.0)
    return Reply(200, {"Content-Type": "text/html"}, b"<html><body>late</body></html>")


def _drip_bytes(count: int) -> Iterator[bytes]:
    yield b"<html><body>"
    for _ in range(count):
        time.sleep(1.0)
        yield b"a"


def _drip(context: RequestContext) -> Reply:
    """A page sent one byte a second (a read timeout never fires: a byte keeps arriving)."""
    context.server.bump("drip")
    headers = {"Content-Type": "text/html", "Content-Length": str(12 + 30)}
    return Reply(200, headers, _drip_bytes(30))


def _throttled(context: RequestContext) -> Reply:
    if context.server.bump("throttled") == 1:
        return Reply(429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"slow down")
    return static_reply(context, "articles/grain-deal.html")


def _throttled_long(context: RequestContext) -> Reply:
    context.server.bump("throttled-long")
    return Reply(429, {"Retry-After": "3600", "Content-Type": "text/plain"}, b"come back later")


def _unavailable(context: RequestContext) -> Reply:
    context.server.bump("unavailable")
    return Reply(503, {"Content-Type": "text/plain"}, b"down")


def _gone(context: RequestContext) -> Reply:
    context.server.bump("gone")
    return Reply(404, {"Content-Type": "text/plain"}, b"gone")


def _redirect(location: str) -> Reply:
    return Reply(302, {"Location": location, "Content-Type": "text/plain"}, b"moved")


def _redirect_chain(context: RequestContext) -> Reply:
    hops = int(context.query.get("hops", ["0"])[0])
    if hops <= 0:
        return static_reply(context, "articles/harbor-bridge.html")
    return _redirect(f"/redirect-chain?hops={hops - 1}")


def _api_cursor(context: RequestContext) -> Reply:
    cursor = context.query.get("cursor", [""])[0]
    return static_reply(context, "api-cursor-2.json" if cursor == "c2" else "api-cursor-1.json")


def _api_pages(context: RequestContext) -> Reply:
    page = int(context.query.get("page", ["1"])[0])
    if page > 3:
        return Reply(200, {"Content-Type": "application/json"}, b"[]")
    return static_reply(context, f"api-page-{page}.json")


def _sitemap_gz(context: RequestContext) -> Reply:
    inner = static_reply(context, "sitemap-news.xml")
    if inner.status != 200:
        return inner
    assert isinstance(inner.body, bytes)
    headers = dict(inner.headers, **{"Content-Type": "application/x-gzip"})
    return Reply(200, headers, gzip.compress(inner.body, mtime=0))


def _wrong_charset(context: RequestContext) -> Reply:
    text = (WEB_DIR / "articles" / "cafe-reopens.html").read_text(encoding="utf-8")
    return Reply(200, {"Content-Type": "text/html; charset=utf-8"}, text.encode("cp1252"))


def _mislabelled_utf8(context: RequestContext) -> Reply:
    body = (WEB_DIR / "articles" / "cafe-reopens.html").read_bytes()
    return Reply(200, {"Content-Type": "text/html; charset=iso-8859-1"}, body)


def _last_modified_only(context: RequestContext) -> Reply:
    if context.headers.get("if-modified-since") == LAST_MODIFIED:
        return Reply(304, {}, b"")
    body = (WEB_DIR / "articles" / "grain-deal.html").read_bytes()
    return Reply(200, {"Content-Type": "text/html", "Last-Modified": LAST_MODIFIED}, body)


def install_routes(server: WebServer) -> None:
    """The dynamic routes every test server has."""
    server.routes.update(
        {
            "/robots.txt": _robots,
            "/huge": _huge,
            "/huge-declared": _huge_declared,
            "/slow": _slow,
            "/drip": _drip,
            "/throttled": _throttled,
            "/throttled-long": _throttled_long,
            "/unavailable": _unavailable,
            "/gone": _gone,
            "/last-modified-only": _last_modified_only,
            "/hang-up": lambda c: (c.server.bump("hang-up"), Reply(HANG_UP))[1],
            "/image.png": lambda c: Reply(200, {"Content-Type": "text/html"}, PNG_BYTES),
            "/download": lambda c: Reply(
                200, {"Content-Type": "application/octet-stream"}, b"plain-looking bytes"
            ),
            "/redirect-loop-a": lambda c: _redirect("/redirect-loop-b"),
            "/redirect-loop-b": lambda c: _redirect("/redirect-loop-a"),
            "/redirect-chain": _redirect_chain,
            "/redirect-to-private": lambda c: _redirect(
                f"http://127.0.0.1:{c.server.port}/articles/harbor-bridge.html"
            ),
            "/api/cursor": _api_cursor,
            "/api/pages": _api_pages,
            "/sitemap-news.xml.gz": _sitemap_gz,
            "/wrong-charset.html": _wrong_charset,
            "/mislabelled-utf8.html": _mislabelled_utf8,
            "/feed-bomb.xml": lambda c: static_reply(c, "bomb.xml", "application/rss+xml"),
            "/private/page.html": lambda c: Reply(200, {"Content-Type": "text/html"}, b"<p>x</p>"),
            "/private/public-note.html": lambda c: static_reply(c, "articles/grain-deal.html"),
        }
    )


def loopback_connector(port: int) -> Callable[..., httpcore.NetworkStream]:
    """A connector that sends every (already checked) connection to the test server.

    It stands in for the internet: a host the test resolver maps to a public address is reached
    on 127.0.0.1 instead, while the address check still sees the public address.
    """
    backend = httpcore.SyncBackend()

    def connect(
        address: str,
        _port: int,
        timeout: float | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.NetworkStream:
        return backend.connect_tcp(
            "127.0.0.1", port, timeout=timeout, socket_options=socket_options
        )

    return connect


PUBLIC_TEST_ADDRESS = "93.184.215.14"


def table_resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver answering from a fixed table (unknown names resolve to nothing)."""

    def resolve(host: str, port: int) -> list[str]:
        return list(table.get(host, []))

    return resolve
