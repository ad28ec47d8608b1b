"""A pass over a catalogue where one page drips its body: it ends at the deadline, loses nothing.

Real loopback server (a byte a second), the real ``newswire ingest`` command with ``--output``.
The deadline is a short setting (2 s); the tests assert outcomes, never durations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from newswire_testing import webserver as web
from newswire_testing.clock import SteppingClock
from newswire_testing.commands import command_app, read_articles
from typer.testing import CliRunner

from newswire.ingest.commands import ingest_command
from newswire.ingest.fetch import FetchPool, FetchSettings
from newswire.ingest.pipeline import fetch_source, normalize_source
from newswire.ingest.settings import IngestSettings


def _feed(paths: list[str]) -> Callable[[web.RequestContext], web.Reply]:
    def route(context: web.RequestContext) -> web.Reply:
        items = "".join(
            f"<item><title>Item {n}</title><link>{context.base}{path}</link></item>"
            for n, path in enumerate(paths)
        )
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
            f"<link>{context.base}/</link><description>d</description>{items}</channel></rss>"
        )
        return web.Reply(200, {"Content-Type": "application/rss+xml"}, body.encode())

    return route


def _maybe_drip(context: web.RequestContext) -> web.Reply:
    """Drips a byte a second until the test sets ``drip-fixed``; then a normal article."""
    if not context.server.counters.get("drip-fixed"):
        return context.server.routes["/drip"](context)
    return web.static_reply(context, "articles/cafe-reopens.html")


def _catalogue(path: Path, server: Any, feeds: dict[str, str]) -> None:
    sources = [
        {
            "id": source_id,
            "kind": "rss",
            "url": server.url(feed),
            "allow_private_network": True,
            "rate_limit_per_second": 50.0,
        }
        for source_id, feed in feeds.items()
    ]
    path.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")


@pytest.mark.integration
def test_a_dripping_page_ends_at_its_deadline_and_is_fetched_next_pass(
    web_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("NEWSWIRE_FETCH_REQUEST_DEADLINE_SECONDS", "2")
    # Both sources live on the one loopback host: keep the per-host breaker out of this test.
    monkeypatch.setenv("NEWSWIRE_FETCH_HOST_DEADLINE_MISSES", "0")
    web_server.routes["/mixed.rss"] = _feed(
        ["/articles/harbor-bridge.html", "/maybe-drip", "/articles/council-budget.html"]
    )
    web_server.routes["/other.rss"] = _feed(["/articles/grain-deal.html"])
    web_server.routes["/maybe-drip"] = _maybe_drip
    catalogue = tmp_path / "catalogue.yaml"
    _catalogue(catalogue, web_server, {"mixed": "/mixed.rss", "other": "/other.rss"})
    args = ["ingest", "--sources", str(catalogue), "--state-dir", str(tmp_path / "state")]

    first_out = tmp_path / "first.jsonl"
    first = CliRunner().invoke(
        command_app("ingest", ingest_command), [*args, "--output", str(first_out)]
    )

    assert first.exit_code == 0, first.output
    first_articles = read_articles(first_out)
    assert sorted(a.url.rsplit("/", 1)[-1] for a in first_articles if a.url) == [
        "council-budget.html",
        "grain-deal.html",
        "harbor-bridge.html",
    ]
    # The miss is reported per item on stderr, as a deadline, and in the per-source table.
    assert "1 fetch error(s)" in first.stderr
    assert any(
        "maybe-drip" in r.getMessage()
        and "deadline" in r.getMessage()
        and r.levelno == logging.ERROR
        for r in caplog.records
    )
    table = first.stderr[first.stderr.index("ingest pass") :]
    mixed_row = next(line for line in table.splitlines() if " mixed " in f" {line} ")
    assert "deadline" in mixed_row
    assert "other" in table and "deferred" in table

    web_server.bump("drip-fixed")
    second_out = tmp_path / "second.jsonl"
    second = CliRunner().invoke(
        command_app("ingest", ingest_command), [*args, "--output", str(second_out)]
    )

    assert second.exit_code == 0, second.output
    # Not marked seen, not lost: the next pass finds the page through the feed again.
    assert [a.url.rsplit("/", 1)[-1] for a in read_articles(second_out) if a.url] == ["maybe-drip"]


@pytest.mark.integration
def test_what_a_spent_budget_defers_is_fetched_by_the_next_pass(
    web_server: Any, tmp_path: Path
) -> None:
    pages = [
        "/articles/harbor-bridge.html",
        "/articles/council-budget.html",
        "/articles/grain-deal.html",
        "/articles/cafe-reopens.html",
    ]
    web_server.routes["/four.rss"] = _feed(pages)
    catalogue = tmp_path / "catalogue.yaml"
    _catalogue(catalogue, web_server, {"four": "/four.rss"})
    settings = IngestSettings(state_dir=tmp_path / "state")
    tight = FetchPool(FetchSettings(source_budget_seconds=3.5), workers=1, clock=SteppingClock())

    first = fetch_source("four", catalogue, run_id="r1", settings=settings, pool=tight)
    normalized = normalize_source(first.path, run_id="r1", settings=settings)

    assert first.deferred > 0 and first.documents + first.deferred == len(pages)
    assert normalized.accepted == first.documents
    second = fetch_source(
        "four", catalogue, run_id="r2", settings=settings, pool=FetchPool(FetchSettings())
    )
    normalize_source(second.path, run_id="r2", settings=settings)
    # The feed was read again (its mark held back) and the deferred pages fetched in full;
    # the pages already recorded answered 304.
    assert second.deferred == 0
    assert second.documents == first.deferred
    assert second.unchanged == first.documents
