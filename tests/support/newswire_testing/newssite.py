"""The loopback news site (RSS, Atom, sitemap, listing page, JSON API, pages) and the catalogue
of every source kind on it.

Shared by the DAG tests and the ingest-pipeline tests through the ``newswire_testing`` plugin,
so both fetch exactly the same pages, feeds and API.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from newswire_testing.loopback import LoopbackServer

REPO = Path(__file__).resolve().parents[3]
PAGES = REPO / "tests" / "fixtures" / "ingest" / "pages"


def _rss(base: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Coastal Ledger</title><link>{base}/</link>
<description>Local news</description>
<item><title>Harbor bridge reopens after two-year repair</title>
<link>{base}/pages/harbor-bridge.html?utm_source=rss</link>
<guid>{base}/pages/harbor-bridge.html</guid>
<pubDate>Tue, 14 May 2024 04:30:00 GMT</pubDate>
<description>The Harbor Street bridge reopened on Tuesday.</description></item>
</channel></rss>"""


def _atom(base: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Daily Meridian</title>
<id>{base}/feed.atom</id><updated>2023-09-04T11:15:00Z</updated>
<entry><title>Grain export talks resume in Istanbul</title>
<link href="{base}/pages/wire-grain-deal.html"/><id>{base}/pages/wire-grain-deal.html</id>
<updated>2023-09-04T11:15:00Z</updated><published>2023-09-04T11:15:00Z</published>
<summary>Negotiators resumed talks on Black Sea grain shipments.</summary></entry>
</feed>"""


def _sitemap(base: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/pages/council-budget.html</loc>
<news:news><news:publication><news:name>Valley Post</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2024-02-29T20:00:00Z</news:publication_date>
<news:title>Council approves budget with cuts to libraries</news:title></news:news></url>
</urlset>"""


def _listing(base: str) -> str:
    return f"""<!DOCTYPE html><html><head><title>Transport news</title></head><body>
<nav><a href="{base}/">Home</a> <a href="{base}/about">About</a></nav>
<h1>Transport</h1><ul class="stories">
<li><a href="{base}/pages/rail-strike.html">Rail workers call off weekend strike after late pay offer</a></li>
</ul></body></html>"""


API_ITEMS = [
    {
        "url": "/api-stories/ferry-timetable",
        "title": "Ferry timetable extended for the summer season",
        "text": (
            "The island ferry will run two extra crossings every day from June until the end of "
            "September, the operator announced on Monday. The first departure will leave the "
            "harbour at six in the morning, an hour earlier than this year, to serve commuters "
            "and early visitors. The operator said bookings for July were already higher than "
            "last year and that a second vessel would be chartered for the busiest weekends."
        ),
        "published_at": "2024-05-20T07:00:00Z",
    }
]


def _api(query: dict[str, list[str]], base: str) -> str:
    page = int(query.get("page", ["1"])[0])
    items = [{**item, "url": base + item["url"]} for item in API_ITEMS] if page == 1 else []
    return json.dumps({"items": items, "page": page})


@dataclass
class NewsSite:
    """The running loopback site and what it served."""

    base_url: str
    requests: Counter[str] = field(default_factory=Counter)
    full_bodies: Counter[str] = field(default_factory=Counter)


def _make_handler(site: NewsSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests count requests instead."""

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            site.requests[parts.path] += 1
            found = self._route(parts.path, parse_qs(parts.query))
            if found is None:
                self.send_error(404)
                return
            body, content_type = found
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            site.full_bodies[parts.path] += 1
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def _route(self, path: str, query: dict[str, list[str]]) -> tuple[bytes, str] | None:
            base = site.base_url
            if path == "/robots.txt":
                return b"User-agent: *\nAllow: /\n", "text/plain"
            if path.startswith("/pages/") and path.endswith(".html"):
                page = PAGES / Path(path).name
                if page.is_file():
                    charset = "windows-1252" if page.name == "council-budget.html" else "utf-8"
                    return page.read_bytes(), f"text/html; charset={charset}"
                return None
            generated = {
                "/feed.rss": (_rss, "application/rss+xml; charset=utf-8"),
                "/feed.atom": (_atom, "application/atom+xml; charset=utf-8"),
                "/sitemap.xml": (_sitemap, "application/xml; charset=utf-8"),
                "/transport": (_listing, "text/html; charset=utf-8"),
            }
            if path in generated:
                render, content_type = generated[path]
                return render(base).encode("utf-8"), content_type
            if path == "/api/news":
                return _api(query, base).encode("utf-8"), "application/json"
            return None

    return Handler


@contextmanager
def running_news_site() -> Iterator[NewsSite]:
    """Serve the site on a free port of 127.0.0.1 for the block."""
    server = LoopbackServer(_make_handler(NewsSite("")))
    site = NewsSite(server.url)
    server.httpd.RequestHandlerClass = _make_handler(site)
    with server:
        yield site


SOURCE_KINDS = ("rss", "atom", "sitemap", "html", "json", "filedrop")


def write_every_kind_catalogue(
    path: Path,
    base: str,
    seeds_dir: Path,
    prefix: str,
    extra: list[dict[str, Any]],
) -> dict[str, str]:
    """Write a catalogue with one source of every kind on the loopback site (plus ``extra``).

    Returns the source id of each kind. Every source may reach loopback and is barely limited.
    """
    ids = {kind: f"{prefix}-{kind}" for kind in SOURCE_KINDS}
    sources: list[dict[str, Any]] = [
        {"id": ids["rss"], "kind": "rss", "url": f"{base}/feed.rss"},
        {"id": ids["atom"], "kind": "atom", "url": f"{base}/feed.atom"},
        {"id": ids["sitemap"], "kind": "sitemap", "url": f"{base}/sitemap.xml"},
        {
            "id": ids["html"],
            "kind": "html",
            "url": f"{base}/transport",
            "html": {"follow_links": True, "link_pattern": "/pages/"},
        },
        {
            "id": ids["json"],
            "kind": "json",
            "url": f"{base}/api/news",
            "json": {
                "fields": {"items": "items", "text": "text"},
                "pagination": {"type": "page", "page_param": "page", "max_pages": 3},
            },
        },
        {"id": ids["filedrop"], "kind": "filedrop", "path": str(seeds_dir)},
        *extra,
    ]
    for source in sources:
        source["allow_private_network"] = True
        source["rate_limit_per_second"] = 50.0
    path.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    return ids
