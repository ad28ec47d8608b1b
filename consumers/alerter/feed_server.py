"""``newswire feeds serve DIR``: serve the Atom feeds the alerter writes, with ETags.

A small read-only HTTP server for the feeds directory (a production web server does the same
with its own ETag support). ``GET /<subscription id>.atom`` answers the feed with a strong ETag;
a request whose ``If-None-Match`` names the current ETag gets ``304 Not Modified`` and no body.
"""

from __future__ import annotations

import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import typer

from consumers.alerter.feeds import etag_of

feeds_app = typer.Typer(help="Serve the alerter's Atom feeds.", no_args_is_help=True)

_FEED_NAME = re.compile(r"^/([a-z0-9][a-z0-9-]*\.atom)$")
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def make_server(directory: Path, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for the feeds of ``directory`` (call ``serve_forever`` on it)."""
    root = directory.resolve()

    class Handler(BaseHTTPRequestHandler):
        server_version = "newswire-feeds/1"

        def _answer(self, send_body: bool) -> None:
            match = _FEED_NAME.match(self.path.split("?", 1)[0])
            path = root / match.group(1) if match else None
            try:
                data = path.read_bytes() if path is not None else None
            except OSError:
                data = None
            if data is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = etag_of(data)
            if _etag_matches(self.headers.get("If-None-Match"), etag):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ATOM_TYPE)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if send_body:
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


@feeds_app.command("serve")
def serve(
    directory: Annotated[Path, typer.Argument(help="The --feed-dir of the alerter.")],
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8088,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve DIR/<subscription id>.atom over HTTP with ETag / If-None-Match (304)."""
    server = make_server(directory, host, port)
    typer.echo(f"serving {directory} on http://{host}:{server.server_address[1]}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
