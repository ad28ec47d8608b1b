"""The one way the tests serve HTTP on loopback: a stdlib server on a free port, in a thread.

Every HTTP server the tests (and the benchmarks) start is a :class:`LoopbackServer` around a
request handler of its own: the fetcher's web server, the news site, the webhook receiver, the
fault proxy in front of Elasticsearch, the Kibana endpoint. A server the product builds (the
alerter's feed server) is served the same way through :meth:`LoopbackServer.around`.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"


def handler_calling(
    answer: Callable[[BaseHTTPRequestHandler], None], *methods: str
) -> type[BaseHTTPRequestHandler]:
    """A request handler class that hands every request of ``methods`` to ``answer``, quietly.

    ``handler_calling(receiver.answer, "POST")``: the server object keeps its state, not the
    handler class.
    """

    def handle(self: BaseHTTPRequestHandler) -> None:
        answer(self)

    def log_message(self: BaseHTTPRequestHandler, format: str, *args: object) -> None:
        return  # keep test output quiet

    namespace: dict[str, object] = {f"do_{method}": handle for method in methods}
    namespace["log_message"] = log_message
    return type("Handler", (BaseHTTPRequestHandler,), namespace)


class _StartedByWith:
    """``with server:`` starts it, and stops it on the way out."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class LoopbackServer(_StartedByWith):
    """A threading HTTP server on a free port of 127.0.0.1, served from a daemon thread.

    The port is bound on construction (so ``url`` is known before :meth:`start`); ``tls`` wraps
    the listening socket for HTTPS; ``host`` picks another loopback address (127.0.0.2...).
    Use it as a context manager or call start/stop.
    """

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
        tls: ssl.SSLContext | None = None,
        host: str = HOST,
    ) -> None:
        httpd = server_class((host, 0), handler)
        httpd.daemon_threads = True
        if tls is not None:
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        self._serve(httpd)

    @classmethod
    def around(cls, httpd: HTTPServer) -> Self:
        """Serve a server built elsewhere (bound already, as the product's feed server is)."""
        server = cls.__new__(cls)
        server._serve(httpd)
        return server

    def _serve(self, httpd: HTTPServer) -> None:
        self.httpd = httpd
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._started = False

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.httpd.server_address[1])

    @property
    def host(self) -> str:
        """The address it listens on."""
        return str(self.httpd.server_address[0])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        """Serve from a daemon thread."""
        self._thread.start()
        self._started = True
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._started:
            self.httpd.shutdown()
            self._started = False
        self.httpd.server_close()


class LoopbackService(_StartedByWith):
    """The base of the test servers built on a :class:`LoopbackServer` (webhook receiver, fault
    proxy, Kibana endpoint): ``url``, start/stop and ``with`` come from here; the subclass
    keeps the state its handler answers from.
    """

    def __init__(self, server: LoopbackServer) -> None:
        self._server = server

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self._server.url

    def start(self) -> Self:
        """Serve from a daemon thread."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()
