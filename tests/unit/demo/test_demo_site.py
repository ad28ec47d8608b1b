"""The bundled demo site: every channel rendered, a valid catalogue, ETags and 304s."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import httpx
import yaml

from newswire.demo.runner import demo_subscriptions
from newswire.demo.website import CHANNELS, DROP_DIR, catalogue, routes, serve_site, stories
from newswire.ingest.sources import load_catalogue
from schemas.subscriptions import SubscriptionCatalogue

BASE = "http://127.0.0.1:9"


def test_every_channel_has_stories_and_copies_repeat_their_original() -> None:
    by_channel = {channel: [s for s in stories() if s.channel == channel] for channel in CHANNELS}
    assert all(by_channel.values()), {c: len(s) for c, s in by_channel.items()}
    by_slug = {s.slug: s for s in stories()}
    wire_copy = by_slug["putin-macron-phone-call-wire"]
    original = by_slug["putin-macron-phone-call"]
    assert wire_copy.paragraphs == original.paragraphs and wire_copy.channel != original.channel
    assert sorted(path.suffix for path in DROP_DIR.iterdir()) == [".txt", ".txt"]


def test_feeds_sitemap_listing_and_api_link_to_what_the_site_serves() -> None:
    site = routes(BASE)
    rss = ElementTree.fromstring(site["/feed.rss"][1])
    links = [item.findtext("link") for item in rss.iter("item")]
    atom = ElementTree.fromstring(site["/feed.atom"][1])
    links += [link.get("href") for link in atom.iter("{http://www.w3.org/2005/Atom}link")]
    sitemap = ElementTree.fromstring(site["/news-sitemap.xml"][1])
    links += [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert links and all(link and link.removeprefix(BASE) in site for link in links)
    assert b"/articles/nordic-battalion-plan.html" in site["/latest"][1]
    api = json.loads(site["/api/articles"][1])
    assert {item["headline"] for item in api["data"]["articles"]} >= {
        "Putin and Macron hold hour-long phone call on the war in Ukraine"
    }
    assert routes(BASE) == site  # deterministic: the same bytes (and ETags) every time


def test_the_catalogue_and_the_subscriptions_validate(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(catalogue(BASE)), encoding="utf-8")
    loaded = load_catalogue(path)
    kinds = sorted(str(getattr(s.kind, "value", s.kind)) for s in loaded.enabled_sources)
    assert kinds == ["atom", "filedrop", "html", "json", "rss", "sitemap"]
    parsed = SubscriptionCatalogue.model_validate_json(
        json.dumps(yaml.safe_load(demo_subscriptions("http://127.0.0.1:9/hook", 2525)))
    )
    channel_types = {c.type for s in parsed.subscriptions for c in s.channels}
    assert channel_types == {"webhook", "email"}


def test_the_server_answers_304_to_its_own_etag() -> None:
    with serve_site() as base:
        first = httpx.get(f"{base}/feed.rss", timeout=5)
        assert first.status_code == 200 and first.headers["ETag"]
        again = httpx.get(
            f"{base}/feed.rss", headers={"If-None-Match": first.headers["ETag"]}, timeout=5
        )
        assert again.status_code == 304
        assert httpx.get(f"{base}/nothing-here", timeout=5).status_code == 404
