"""Wall time of one fetch pass over many slow hosts, against the rate-limit ideal and one worker.

A loopback site on 20 addresses of 127.0.0.0/8 (127.0.0.2 .. 127.0.0.21, each its own host
for the rate limiter, each with its own stdlib server): every host serves robots.txt, an RSS
feed and 25 article pages, every response delayed by 200 ms. The last host drips its article
bodies, one byte a second. Each host is one source of the catalogue (rate limit ``--rate`` per
second). The pass's own fetch machinery runs (``FetchPool.map_sources`` over ``fetch_source``
with one shared pool, exactly as ``run_ingest_pass`` does; normalizing is not timed), from a
cold state dir, with ``--workers`` workers, with the default, and with one worker (today's
one-after-another behaviour), in the same run.

The ideal for the healthy hosts is what their rate limit allows: 27 requests per host (robots,
feed, 25 pages) spaced ``1 / rate`` apart, the last one answered 200 ms later. The dripping host
ends at its deadline (``--deadline``), retried once; after two misses its other pages are
deferred to the next pass. Goal: the pass within 1.5x of the ideal.

Run: ``.venv/bin/python benchmarks/bench_fetch_pass.py [--rate R] [--workers W] [--skip-sequential]``
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import yaml

from newswire.ingest.fetch import FetchPool, FetchSettings
from newswire.ingest.pipeline import FetchOutcome, fetch_source
from newswire.ingest.settings import IngestSettings

# The loopback servers of the tests' support plugin (tests/support/newswire_testing).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from newswire_testing.loopback import LoopbackServer

HOSTS = [f"127.0.0.{n}" for n in range(2, 22)]
DRIP_HOST = HOSTS[-1]
PAGES = 25
DELAY = 0.2
PARAGRAPH = (
    "<p>The harbor authority said on Wednesday that the reopened bridge would carry about "
    "twelve thousand vehicles a day, according to the city engineers.</p>\n"
)


def _page(host: str, number: int) -> bytes:
    title = f"Story {number} from {host}"
    body = PARAGRAPH * 30
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def _feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}/p/{n}.html</link></item>" for n in range(PAGES)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>b</title>"
        f"<link>{base}/</link><description>b</description>{items}</channel></rss>"
    ).encode()


def start_host(host: str) -> LoopbackServer:
    """One host's server: every answer 200 ms late; the drip host's pages one byte a second."""
    drip = host == DRIP_HOST

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            time.sleep(DELAY)
            base = f"http://{host}:{self.server.server_address[1]}"
            if self.path == "/robots.txt":
                body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
            elif self.path == "/feed.rss":
                body, kind = _feed(base), "application/rss+xml"
            elif self.path.startswith("/p/"):
                body, kind = _page(host, int(self.path[3:].split(".")[0])), "text/html"
            else:
                body, kind = b"", "text/plain"
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if drip and self.path.startswith("/p/"):
                    for index in range(len(body)):
                        self.wfile.write(body[index : index + 1])
                        self.wfile.flush()
                        time.sleep(1.0)
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return LoopbackServer(Handler, host=host).start()


@dataclass
class PassResult:
    seconds: float
    outcomes: dict[str, FetchOutcome]


def run_pass(
    servers: list[LoopbackServer],
    rate: float,
    workers: int,
    deadline: float,
    *,
    with_drip: bool = True,
) -> PassResult:
    """One cold fetch pass over every host (or every healthy one) with ``workers`` workers."""
    sources = [
        {
            "id": f"host-{index:02d}",
            "kind": "rss",
            "url": f"{server.url}/feed.rss",
            "allow_private_network": True,
            "rate_limit_per_second": rate,
            "max_items": PAGES,
        }
        for index, (host, server) in enumerate(zip(HOSTS, servers, strict=True))
        if with_drip or host != DRIP_HOST
    ]
    fetch_settings = FetchSettings(workers=workers, request_deadline_seconds=deadline)
    with tempfile.TemporaryDirectory(prefix="bench-fetch-pass-") as tmp:
        catalogue = Path(tmp) / "catalogue.yaml"
        catalogue.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
        settings = IngestSettings(state_dir=Path(tmp) / "state")
        ids = [str(source["id"]) for source in sources]
        started = time.perf_counter()
        pool = FetchPool(fetch_settings)
        results = pool.map_sources(
            lambda sid: fetch_source(sid, catalogue, run_id="bench", settings=settings, pool=pool),
            ids,
        )
        seconds = time.perf_counter() - started
    return PassResult(seconds, dict(zip(ids, results, strict=True)))


def describe(label: str, result: PassResult, ideal: float) -> None:
    healthy = [o for sid, o in result.outcomes.items() if sid != f"host-{len(HOSTS) - 1:02d}"]
    drip = result.outcomes.get(f"host-{len(HOSTS) - 1:02d}")
    fetched = sum(o.documents for o in healthy)
    drip_text = (
        f"dripping host: {drip.documents} fetched, {drip.errors} failed "
        f"({', '.join(drip.reasons) or '-'}), {drip.deferred} deferred"
        if drip is not None
        else "no dripping host"
    )
    print(
        f"  {label:<22} {result.seconds:7.2f} s  ({result.seconds / ideal:5.2f}x ideal)  "
        f"healthy hosts: {fetched}/{len(healthy) * PAGES} pages, "
        f"{sum(o.errors for o in healthy)} errors; {drip_text}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=4.0, help="requests/s per host")
    parser.add_argument("--workers", type=int, default=FetchSettings().workers)
    parser.add_argument("--deadline", type=float, default=2.0, help="request deadline, s")
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # per-item errors and warnings of the dripping host

    servers = [start_host(host) for host in HOSTS]
    requests_per_host = 2 + PAGES
    ideal = (requests_per_host - 1) / args.rate + DELAY
    print(
        f"{len(HOSTS)} hosts x {PAGES} pages, {DELAY * 1000:.0f} ms per response, rate "
        f"{args.rate:g}/s per host, {DRIP_HOST} drips (deadline {args.deadline:g} s)"
    )
    print(f"  ideal (rate limits, healthy hosts): {ideal:.2f} s")
    try:
        runs = [(f"{args.workers} workers", args.workers)]
        if args.workers != FetchSettings().workers:
            runs.append((f"{FetchSettings().workers} workers (default)", FetchSettings().workers))
        if not args.skip_sequential:
            runs.append(("1 worker (sequential)", 1))
        results = {}
        for label, workers in runs:
            results[workers] = run_pass(servers, args.rate, workers, args.deadline)
            describe(label, results[workers], ideal)
        alone = run_pass(servers, args.rate, args.workers, args.deadline, with_drip=False)
        describe(f"{args.workers} workers, no drip", alone, ideal)
        print(
            "  cost of the dripping host to the others: "
            f"{results[args.workers].seconds - alone.seconds:+.2f} s"
        )
        if 1 in results:
            print(
                f"  speed-up of {args.workers} workers over 1 worker: "
                f"{results[1].seconds / results[args.workers].seconds:.1f}x"
            )
        ratio = results[args.workers].seconds / ideal
        print(
            f"  goal: within 1.5x of ideal: {'met' if ratio <= 1.5 else 'NOT met'} ({ratio:.2f}x)"
        )
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
