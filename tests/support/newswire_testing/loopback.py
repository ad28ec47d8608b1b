"""The one way the tests serve HTTP on loopback: a stdlib server on a free port, in a thread.

Every server the tests start (the fetcher's web server, the news site, the fault proxy in front
of Elasticsearch, the Kibana and TLS endpoints) is a :class:`LoopbackServer` around a request
handler of its own.
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

HOST = "127.0.0.1"


class LoopbackServer:
    """A threading HTTP server on a free port of 127.0.0.1, served from a daemon thread.

    The port is bound on construction (so ``url`` is known before :meth:`start`); ``tls`` wraps
    the listening socket for HTTPS. Use it as a context manager or call start/stop.
    """

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.httpd = server_class((HOST, 0), handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._started = False

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> LoopbackServer:
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

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
