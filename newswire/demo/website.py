"""The demo's sample news site, served on loopback, and the source catalogue that points at it.

Every story is in ``site/articles.yaml`` (written for newswire). The server renders them as an
RSS feed, an Atom feed, a news sitemap, an HTML section page, HTML article pages and a paged JSON
news API; the file drop is the ``site/drop/`` folder itself. Bodies are deterministic and carry
ETags, so a second pass gets ``304 Not Modified`` and the pipeline adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import cache
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict

from newswire.resources import resource_path

SITE_DIR = resource_path("newswire.demo", "site")
DROP_DIR = SITE_DIR / "drop"
CHANNELS = ("rss", "atom", "sitemap", "listing", "api")


class Story(BaseModel):
    """One story of the demo site (``copy_of``: a syndicated copy of another story)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str
    channel: str
    published: datetime
    author: str
    title: str | None = None
    paragraphs: tuple[str, ...] = ()
    copy_of: str | None = None


@dataclass(frozen=True, slots=True)
class SiteStory:
    """A story with its copy resolved."""

    slug: str
    channel: str
    published: datetime
    author: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def path(self) -> str:
        """The story's page on the site."""
        return f"/articles/{self.slug}.html"


@cache
def stories() -> tuple[SiteStory, ...]:
    """Every story of ``site/articles.yaml``, copies filled in from their originals."""
    raw = yaml.safe_load((SITE_DIR / "articles.yaml").read_text(encoding="utf-8"))
    parsed = [Story.model_validate(item) for item in raw["stories"]]
    by_slug = {story.slug: story for story in parsed}
    resolved: list[SiteStory] = []
    for story in parsed:
        origin = by_slug[story.copy_of] if story.copy_of else story
        if origin.title is None or not origin.paragraphs or story.channel not in CHANNELS:
            raise ValueError(f"demo story {story.slug!r} has no text or an unknown channel")
        resolved.append(
            SiteStory(
                story.slug,
                story.channel,
                story.published,
                story.author,
                origin.title,
                origin.paragraphs,
            )
        )
    return tuple(resolved)


def _of(channel: str) -> list[SiteStory]:
    return [story for story in stories() if story.channel == channel]


def page_html(story: SiteStory) -> str:
    """An article page with its metadata."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    when = story.published.isoformat()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(story.title)}</title>
<meta property="og:title" content="{escape(story.title)}">
<meta property="article:published_time" content="{when}">
<meta name="author" content="{escape(story.author)}"></head>
<body><header><a href="/">The Dnipro Desk</a></header>
<article><h1>{escape(story.title)}</h1>
<p class="byline">By {escape(story.author)}, <time datetime="{when}">{when[:10]}</time></p>
{body}
</article><footer>Demo site of newswire; every story is invented.</footer></body></html>"""


def rss_xml(base: str) -> str:
    """The RSS 2.0 feed (its items link to article pages)."""
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>{base}{s.path}</link>"
        f"<guid>{base}{s.path}</guid><pubDate>{format_datetime(s.published)}</pubDate>"
        f"<description>{escape(s.paragraphs[0][:160])}</description></item>"
        for s in _of("rss")
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>The Dnipro Desk</title><link>{base}/</link><description>Demo news</description>"
        f"{items}</channel></rss>"
    )


def atom_xml(base: str) -> str:
    """The Atom feed."""
    entries = "".join(
        f'<entry><title>{escape(s.title)}</title><link href="{base}{s.path}"/>'
        f"<id>{base}{s.path}</id><updated>{s.published.isoformat()}</updated>"
        f"<published>{s.published.isoformat()}</published>"
        f"<summary>{escape(s.paragraphs[0][:160])}</summary></entry>"
        for s in _of("atom")
    )
    updated = max(s.published for s in _of("atom")).isoformat()
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>The Dnipro Desk: analysis</title><id>{base}/feed.atom</id>"
        f"<updated>{updated}</updated>{entries}</feed>"
    )


def sitemap_xml(base: str) -> str:
    """A Google news sitemap."""
    urls = "".join(
        f"<url><loc>{base}{s.path}</loc><news:news><news:publication>"
        "<news:name>The Dnipro Desk</news:name><news:language>en</news:language>"
        f"</news:publication><news:publication_date>{s.published.isoformat()}"
        f"</news:publication_date><news:title>{escape(s.title)}</news:title></news:news></url>"
        for s in _of("sitemap")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    )


def listing_html(base: str) -> str:
    """The section page whose links the ``html`` source follows."""
    links = "".join(
        f'<li><a href="{base}{s.path}">{escape(s.title)}</a></li>' for s in _of("listing")
    )
    return (
        "<!DOCTYPE html><html><head><title>Latest</title></head><body>"
        f'<nav><a href="{base}/">Home</a> <a href="{base}/about">About</a></nav>'
        f'<h1>Latest</h1><ul class="stories">{links}</ul></body></html>'
    )


def api_json(base: str) -> str:
    """The JSON news API: items with their text inline."""
    items = [
        {
            "link": f"{base}/wire/{s.slug}",
            "headline": s.title,
            "published": s.published.isoformat(),
            "byline": [s.author],
            "body": "\n\n".join(s.paragraphs),
            "lang": "en",
        }
        for s in _of("api")
    ]
    return json.dumps({"data": {"articles": items}, "meta": {"next": None}}, indent=1)


def routes(base: str) -> dict[str, tuple[str, bytes]]:
    """Every path of the site: content type and body."""
    table: dict[str, tuple[str, str]] = {
        "/robots.txt": ("text/plain", "User-agent: *\nAllow: /\n"),
        "/feed.rss": ("application/rss+xml", rss_xml(base)),
        "/feed.atom": ("application/atom+xml", atom_xml(base)),
        "/news-sitemap.xml": ("application/xml", sitemap_xml(base)),
        "/latest": ("text/html; charset=utf-8", listing_html(base)),
        "/api/articles": ("application/json", api_json(base)),
    }
    for story in stories():
        if story.channel != "api":
            table[story.path] = ("text/html; charset=utf-8", page_html(story))
    return {path: (kind, body.encode("utf-8")) for path, (kind, body) in table.items()}


def catalogue(base: str, drop_dir: Path = DROP_DIR) -> dict[str, Any]:
    """The source catalogue of the demo site: one source per kind, fetched once a day."""
    common: dict[str, Any] = {
        "allow_private_network": True,
        "rate_limit_per_second": 50.0,
        "schedule": "@daily",
        "language": "en",
        "tags": ["demo"],
    }
    return {
        "sources": [
            {"id": "demo-rss", "kind": "rss", "url": f"{base}/feed.rss"} | common,
            {"id": "demo-atom", "kind": "atom", "url": f"{base}/feed.atom"} | common,
            {"id": "demo-sitemap", "kind": "sitemap", "url": f"{base}/news-sitemap.xml"} | common,
            {
                "id": "demo-latest",
                "kind": "html",
                "url": f"{base}/latest",
                "html": {"follow_links": True, "link_pattern": "/articles/", "max_links": 20},
            }
            | common,
            {
                "id": "demo-wire-api",
                "kind": "json",
                "url": f"{base}/api/articles",
                "json": {
                    "fields": {
                        "items": "data.articles",
                        "url": "link",
                        "title": "headline",
                        "published_at": "published",
                        "authors": "byline",
                        "text": "body",
                        "language": "lang",
                    }
                },
            }
            | common,
            {"id": "demo-drop", "kind": "filedrop", "path": str(drop_dir)} | common,
        ]
    }


class _Handler(BaseHTTPRequestHandler):
    site: ClassVar[dict[str, tuple[str, bytes]]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        found = self.site.get(path)
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        kind, body = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def serve_site(port: int = 0) -> Iterator[str]:
    """Serve the demo site on ``127.0.0.1:port`` (0: any free port); yields its base URL."""
    site: dict[str, tuple[str, bytes]] = {}

    class Handler(_Handler):
        pass

    Handler.site = site
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    site.update(routes(base))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
