"""Bytes and requests saved by conditional GET on unchanged sources, against unconditional polling.

A local HTTP server (127.0.0.1, stdlib, started here) serves an RSS feed of N article pages of a
realistic size, with ETag and Last-Modified. The same sources are polled several times through
the ingest pass's own fetch and normalize tasks (``fetch_source`` then ``normalize_source``: the
validators are stored only once the documents are recorded) in two modes, in the same run:

- conditional (the default): the stored validators are sent, unchanged resources answer 304;
- unconditional (``NEWSWIRE_FETCH_CONDITIONAL_GET=false`` equivalent): every poll downloads all.

The first (cold) pass is the same for both and is not counted; the figures are for the polls of
unchanged sources after it, measured on the server side (body bytes written, requests answered).

Run: ``.venv/bin/python benchmarks/bench_fetch.py [--articles N] [--polls K]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import yaml

from newswire.ingest.fetch import FetchPool, FetchSettings
from newswire.ingest.pipeline import fetch_source, normalize_source
from newswire.ingest.settings import IngestSettings

# The loopback servers of the tests' support plugin (tests/support/newswire_testing).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from newswire_testing.loopback import LoopbackServer

LAST_MODIFIED = "Wed, 20 Mar 2024 10:00:00 GMT"
PARAGRAPH = (
    "<p>The harbor authority said on Wednesday that the reopened bridge would carry about "
    "twelve thousand vehicles a day, and that the repairs to the deck and cables had finished "
    "two days ahead of schedule and under budget, according to the city engineers.</p>\n"
)


@dataclass
class Counters:
    requests: int = 0
    body_bytes: int = 0
    not_modified: int = 0

    def reset(self) -> None:
        self.requests = self.body_bytes = self.not_modified = 0


def build_site(articles: int, base: str, first: int = 0) -> dict[str, bytes]:
    """Path -> body: a feed listing ``articles`` pages of ~40 KB each, and robots.txt.

    Story numbers run from ``first``; with a higher ``first`` the feed has moved on: the oldest
    stories dropped out and new ones appeared, the pages of the others unchanged.
    """
    site: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nDisallow: /private/\n"}
    items = []
    for index in range(first, first + articles):
        path = f"/articles/story-{index:04d}.html"
        title = f"Story number {index}"
        body = "".join(PARAGRAPH for _ in range(150))
        page = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><nav>Home | World | Business</nav><article><h1>{title}</h1>{body}"
            "</article><footer>(c) Harbor Gazette</footer></body></html>"
        )
        site[path] = page.encode("utf-8")
        items.append(
            f"<item><title>{title}</title><link>{base}{path}</link>"
            f"<pubDate>Wed, 20 Mar 2024 09:{index % 60:02d}:00 GMT</pubDate>"
            f"<description>Summary of story {index}.</description></item>"
        )
    site["/feed.rss"] = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Bench</title><link>{base}/</link><description>bench</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()
    return site


def start_server(counters: Counters) -> tuple[LoopbackServer, dict[str, bytes]]:
    site: dict[str, bytes] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            body = site.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                with lock:
                    counters.requests += 1
                    counters.not_modified += 1
                return
            self.send_response(200)
            kind = "application/rss+xml" if self.path.endswith(".rss") else "text/html"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            self.wfile.write(body)
            with lock:
                counters.requests += 1
                counters.body_bytes += len(body)

    return LoopbackServer(Handler).start(), site


def poll(catalogue: Path, settings: IngestSettings, run: str) -> tuple[int, int, int]:
    """One pass of the fetch and normalize tasks: (documents, fetch errors, normalize errors)."""
    pool = FetchPool(FetchSettings())
    fetched = fetch_source("bench-feed", catalogue, run_id=run, settings=settings, pool=pool)
    normalized = normalize_source(fetched.path, run_id=run, settings=settings)
    return fetched.documents, fetched.errors, normalized.errors


def run_mode(
    *,
    conditional: bool,
    url: str,
    polls: int,
    counters: Counters,
    articles: int,
    site: dict[str, bytes],
    churn: bool,
) -> tuple[int, int, int]:
    """Cold pass, then ``polls`` passes; (requests, bytes, 304s) of those passes.

    Without ``churn`` the sources are unchanged; with it, each poll the feed gains one story.
    """
    base = url.rsplit("/", 1)[0]
    site.clear()
    site.update(build_site(articles, base))
    source = {
        "id": "bench-feed",
        "kind": "rss",
        "url": url,
        "allow_private_network": True,
        "rate_limit_per_second": 100.0,
        "max_items": articles,
    }
    # poll() builds the fetch settings from the environment, as the DAG task does.
    os.environ["NEWSWIRE_FETCH_CONDITIONAL_GET"] = "true" if conditional else "false"
    with tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp:
        catalogue = Path(tmp) / "catalogue.yaml"
        catalogue.write_text(yaml.safe_dump({"sources": [source]}), encoding="utf-8")
        settings = IngestSettings(state_dir=Path(tmp) / "state")
        docs, errors, failed = poll(catalogue, settings, "cold")
        if docs != articles or errors or failed:
            raise SystemExit(
                f"cold pass: {docs}/{articles} documents, {errors} fetch and {failed} "
                "normalize errors"
            )
        counters.reset()
        for number in range(1, polls + 1):
            if churn:
                site.update(build_site(articles, base, first=number))
            poll(catalogue, settings, f"poll-{number}")
        return counters.requests, counters.body_bytes, counters.not_modified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--polls", type=int, default=3)
    args = parser.parse_args()

    counters = Counters()
    server, site = start_server(counters)
    url = f"{server.url}/feed.rss"
    print(f"sources: 1 RSS feed listing {args.articles} article pages; {args.polls} polls each")
    try:
        for churn, label in ((False, "unchanged sources"), (True, "feed gains 1 story per poll")):
            results = {
                conditional: run_mode(
                    conditional=conditional,
                    url=url,
                    polls=args.polls,
                    counters=counters,
                    articles=args.articles,
                    site=site,
                    churn=churn,
                )
                for conditional in (False, True)
            }
            report(label, results[False], results[True])
    finally:
        server.stop()


def report(label: str, plain: tuple[int, int, int], smart: tuple[int, int, int]) -> None:
    """Print one scenario's figures."""
    (plain_requests, plain_bytes, _), (smart_requests, smart_bytes, smart_304) = plain, smart
    byte_saving = 1.0 - smart_bytes / plain_bytes if plain_bytes else 0.0
    request_saving = 1.0 - smart_requests / plain_requests if plain_requests else 0.0
    print(f"== {label}")
    print(f"  unconditional polling: {plain_requests} requests, {plain_bytes:,} body bytes")
    print(
        f"  conditional GET:       {smart_requests} requests ({smart_304} answered 304), "
        f"{smart_bytes:,} body bytes"
    )
    print(f"  bytes saved:    {byte_saving:.1%} (goal >= 90% on unchanged sources)")
    print(f"  requests saved: {request_saving:.1%}")
    print(f"  ratio of bytes, conditional / unconditional: {smart_bytes / max(plain_bytes, 1):.4f}")


if __name__ == "__main__":
    main()
