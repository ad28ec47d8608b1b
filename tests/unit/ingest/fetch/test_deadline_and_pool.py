"""The request deadline that holds against a drip, and the pass's pool (lanes, order, budgets).

The deadline tests use a real loopback server that sends a byte a second; they assert outcomes
(error type, how many attempts the server saw), never durations.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from newswire_testing import webserver as web
from newswire_testing.clock import SteppingClock

from newswire.ingest.fetch import (
    DeadlineExceededError,
    DeferredError,
    Fetcher,
    FetchPool,
    FetchSettings,
    FetchTimeoutError,
    PoolTask,
)
from newswire.ingest.readers import read_source
from newswire.ingest.sources import Source

DRIP_SETTINGS = FetchSettings(
    request_deadline_seconds=2.0,
    read_timeout_seconds=15.0,
    max_retries=3,
    backoff_base_seconds=0.01,
    backoff_max_seconds=0.02,
)


def _drip_feed(context: web.RequestContext) -> web.Reply:
    items = "".join(
        f"<item><title>Story {name}</title><link>{context.base}{path}</link></item>"
        for name, path in (
            ("one", "/articles/grain-deal.html"),
            ("drip", "/drip"),
            ("two", "/articles/harbor-bridge.html"),
        )
    )
    body = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        f"<link>{context.base}/</link><description>d</description>{items}</channel></rss>"
    )
    return web.Reply(200, {"Content-Type": "application/rss+xml"}, body.encode())


def _fetcher(tmp_path: Path, settings: FetchSettings, pool: FetchPool | None = None) -> Fetcher:
    return Fetcher(tmp_path / "state", settings, pool=pool)


def test_a_dripping_body_ends_at_the_deadline_and_is_retried_once(
    tmp_path: Path, web_server: Any
) -> None:
    before = web_server.counters.get("drip", 0)
    with (
        _fetcher(tmp_path, DRIP_SETTINGS) as fetcher,
        pytest.raises(DeadlineExceededError) as caught,
    ):
        fetcher.fetch(web_server.url("/drip"), allow_private_network=True)
    assert isinstance(caught.value, FetchTimeoutError)  # a passing failure: transient
    assert caught.value.transient
    assert "deadline" in caught.value.reason
    # Retried once, not max_retries (3) times.
    assert web_server.counters["drip"] - before == 2


def test_deadline_retries_is_a_setting(tmp_path: Path, web_server: Any) -> None:
    settings = DRIP_SETTINGS.model_copy(update={"deadline_retries": 0})
    before = web_server.counters.get("drip", 0)
    with _fetcher(tmp_path, settings) as fetcher, pytest.raises(DeadlineExceededError):
        fetcher.fetch(web_server.url("/drip"), allow_private_network=True)
    assert web_server.counters["drip"] - before == 1


@pytest.mark.parametrize("workers", [1, 8])
def test_a_dripping_page_fails_alone_and_the_feed_order_is_kept(
    tmp_path: Path, web_server: Any, workers: int
) -> None:
    web_server.routes["/drip-feed.rss"] = _drip_feed
    source = Source.model_validate(
        {
            "id": "drip-feed",
            "kind": "rss",
            "url": web_server.url("/drip-feed.rss"),
            "allow_private_network": True,
            "rate_limit_per_second": 50.0,
        }
    )
    # Everything is on one host here: without the per-host breaker the last page is fetched.
    settings = DRIP_SETTINGS.model_copy(update={"host_deadline_misses": 0})
    pool = FetchPool(settings, workers=workers)
    with _fetcher(tmp_path, settings, pool) as fetcher:
        outcomes = list(read_source(source, fetcher, tmp_path / "state"))
    assert [o.target.rsplit("/", 1)[-1] for o in outcomes] == [
        "grain-deal.html",
        "drip",
        "harbor-bridge.html",
    ]
    assert outcomes[0].document is not None and outcomes[2].document is not None
    assert isinstance(outcomes[1].error, DeadlineExceededError)
    assert not outcomes[1].deferred


def test_results_come_in_the_given_order_and_a_slow_host_does_not_hold_another() -> None:
    pool = FetchPool(FetchSettings(), workers=4)
    fast_done = threading.Event()
    finished: list[str] = []

    def slow() -> str:
        # Finishes only once the other host's item is done: with one lane for everything
        # this would wait for its timeout and the order of completion would be reversed.
        released = fast_done.wait(timeout=10)
        finished.append("slow")
        return f"slow released={released}"

    def fast() -> str:
        finished.append("fast")
        fast_done.set()
        return "fast"

    tasks = [PoolTask("slow.example", slow), PoolTask("fast.example", fast)]
    results = list(pool.run_ordered(tasks, deadline=pool.pass_deadline, on_defer=_no_defer))
    assert results == ["slow released=True", "fast"]
    assert finished == ["fast", "slow"]


def _no_defer(index: int, reason: str) -> str:
    raise AssertionError(f"item {index} deferred: {reason}")


@pytest.mark.parametrize("workers", [1, 4])
def test_what_the_source_budget_does_not_reach_is_deferred(workers: int) -> None:
    settings = FetchSettings(source_budget_seconds=4.5, pass_budget_seconds=1000.0)
    pool = FetchPool(settings, workers=workers, clock=SteppingClock())
    deadline = pool.source_deadline()
    tasks = [PoolTask("one.example", lambda i=i: f"done {i}") for i in range(10)]  # type: ignore[misc]
    results = list(
        pool.run_ordered(tasks, deadline=deadline, on_defer=lambda i, why: f"deferred {i}")
    )
    assert len(results) == 10
    done = [r for r in results if r.startswith("done")]
    assert done and len(done) < 10
    # What was fetched is a prefix: the budget cuts the tail, never a hole in the middle.
    assert results == done + [f"deferred {i}" for i in range(len(done), 10)]


def test_a_host_that_keeps_missing_its_deadline_waits_for_the_next_pass() -> None:
    pool = FetchPool(FetchSettings(host_deadline_misses=2), workers=2)
    deadline = pool.source_deadline()
    assert pool.skip_reason("drip.example", deadline) is None
    pool.record_deadline_miss("drip.example")
    assert pool.skip_reason("drip.example", deadline) is None
    pool.record_deadline_miss("drip.example")
    reason = pool.skip_reason("drip.example", deadline)
    assert reason is not None and "deadline" in reason
    assert pool.skip_reason("healthy.example", deadline) is None


def test_a_source_started_after_the_pass_budget_is_deferred_whole(
    tmp_path: Path, web_server: Any
) -> None:
    settings = FetchSettings(pass_budget_seconds=1.5)
    pool = FetchPool(settings, workers=2, clock=SteppingClock())
    source = Source.model_validate(
        {
            "id": "late",
            "kind": "rss",
            "url": web_server.url("/feed.rss"),
            "allow_private_network": True,
        }
    )
    before = len(web_server.served("/feed.rss"))
    with _fetcher(tmp_path, settings, pool) as fetcher:
        outcomes = list(read_source(source, fetcher, tmp_path / "state"))
    assert len(outcomes) == 1 and outcomes[0].deferred
    assert isinstance(outcomes[0].error, DeferredError) and outcomes[0].error.transient
    assert len(web_server.served("/feed.rss")) == before  # never contacted


def test_workers_setting_defaults_to_at_least_eight_and_one_means_sequential() -> None:
    assert FetchSettings().workers >= 8
    assert FetchPool(FetchSettings(workers=1)).sequential
    assert not FetchPool(FetchSettings()).sequential


def test_crawl_delay_slows_the_host_rate_and_survives_the_durable_cache() -> None:
    from newswire.ingest.fetch.robots import decode_policy, encode_policy, parse_robots

    text = "User-agent: *\nCrawl-delay: 2\nDisallow: /private/\n\nUser-agent: otherbot\nCrawl-delay: 9\n"
    policy = parse_robots(text, "newswire")
    assert policy.crawl_delay == 2.0
    assert policy.rate_limit(1.0) == 0.5
    assert policy.rate_limit(0.1) == 0.1
    assert not policy.is_allowed("/private/x") and policy.is_allowed("/news")
    assert decode_policy(encode_policy(policy)) == policy
    assert parse_robots("User-agent: *\nDisallow: /x\n", "newswire").rate_limit(3.0) == 3.0


def test_the_fetcher_spaces_requests_by_the_crawl_delay(
    fetcher: Fetcher, web_server: Any, sleeper: Any
) -> None:
    def robots(context: web.RequestContext) -> web.Reply:
        return web.Reply(200, {"Content-Type": "text/plain"}, b"User-agent: *\nCrawl-delay: 3\n")

    web_server.routes["/robots.txt"] = robots
    for page in ("grain-deal.html", "harbor-bridge.html"):
        fetcher.fetch(
            web_server.url(f"/articles/{page}", host="news.example"), rate_limit_per_second=100.0
        )
    # At 100/s the second page would wait at most 0.01 s; Crawl-delay asks for 3 s.
    assert sleeper.calls and max(sleeper.calls) > 1.0
