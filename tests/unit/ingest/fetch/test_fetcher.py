"""The fetcher against a real loopback HTTP server: politeness, defences and their errors."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from newswire_testing import webserver as web

from newswire.ingest.fetch import (
    BinaryBodyError,
    BlockedAddressError,
    BodyTooLargeError,
    FetchConnectionError,
    Fetcher,
    FetchSettings,
    FetchTimeoutError,
    HttpStatusError,
    InvalidUrlError,
    RedirectLoopError,
    ResolutionError,
    RetryAfterTooLongError,
    RobotsDisallowedError,
    TooManyRedirectsError,
    parse_retry_after,
)
from newswire.ingest.fetch.netguard import is_public_address


def local(server: Any, path: str) -> str:
    return server.url(path)


def fetch_local(fetcher: Fetcher, server: Any, path: str, **options: Any) -> Any:
    return fetcher.fetch(local(server, path), allow_private_network=True, **options)


def test_fetch_returns_body_and_sends_descriptive_user_agent(fetcher: Fetcher, web_server: Any):
    result = fetch_local(fetcher, web_server, "/articles/harbor-bridge.html")

    assert result.status == 200
    assert not result.not_modified
    assert b"Harbor bridge reopens" in result.body
    assert result.charset == "utf-8"
    assert result.etag is not None
    agent = web_server.served("/articles/")[0].headers["user-agent"]
    assert agent.startswith("newswire/")
    assert "(+http" in agent


def test_second_fetch_of_unchanged_url_is_304_without_body(
    tmp_path: Path, fetcher: Fetcher, web_server: Any
):
    fetch_local(fetcher, web_server, "/feed.rss")
    web_server.clear_log()

    again = fetch_local(fetcher, web_server, "/feed.rss")

    assert again.not_modified
    assert again.body == b""
    served = web_server.served("/feed.rss")
    assert [(entry.status, entry.body_bytes) for entry in served] == [(304, 0)]
    assert served[0].headers["if-none-match"] == again.etag


def test_validators_survive_a_new_fetcher_on_the_same_state_dir(
    tmp_path: Path, fetcher: Fetcher, web_server: Any, fetch_settings: FetchSettings, sleeper: Any
):
    fetch_local(fetcher, web_server, "/listing.html")
    fetcher.close()
    web_server.clear_log()

    with Fetcher(tmp_path / "state", fetch_settings, sleep=sleeper) as second:
        result = second.fetch(local(web_server, "/listing.html"), allow_private_network=True)

    assert result.not_modified
    assert [entry.path for entry in web_server.served()] == ["/listing.html"]


def test_last_modified_alone_makes_the_second_fetch_conditional(fetcher: Fetcher, web_server: Any):
    first = fetch_local(fetcher, web_server, "/last-modified-only")
    again = fetch_local(fetcher, web_server, "/last-modified-only")

    assert first.etag is None
    assert again.not_modified
    served = web_server.served("/last-modified-only")
    assert served[1].headers["if-modified-since"] == web.LAST_MODIFIED
    assert "if-none-match" not in served[1].headers


def test_unconditional_fetch_downloads_again(fetcher: Fetcher, web_server: Any):
    first = fetch_local(fetcher, web_server, "/feed.rss")
    again = fetch_local(fetcher, web_server, "/feed.rss", conditional=False)

    assert again.status == 200
    assert again.body == first.body


def test_robots_disallow_is_refused_with_longest_match_allow(fetcher: Fetcher, web_server: Any):
    with pytest.raises(RobotsDisallowedError, match=r"robots\.txt"):
        fetch_local(fetcher, web_server, "/private/page.html")
    allowed = fetch_local(fetcher, web_server, "/private/public-note.html")

    assert allowed.status == 200
    assert web_server.served("/private/page.html") == []
    assert len(web_server.served("/robots.txt")) == 1, "robots.txt is cached per host"


def test_robots_cache_is_durable_across_fetchers(
    tmp_path: Path, fetcher: Fetcher, web_server: Any, fetch_settings: FetchSettings, sleeper: Any
):
    fetch_local(fetcher, web_server, "/articles/grain-deal.html")
    fetcher.close()

    with (
        Fetcher(tmp_path / "state", fetch_settings, sleep=sleeper) as second,
        pytest.raises(RobotsDisallowedError),
    ):
        second.fetch(local(web_server, "/private/page.html"), allow_private_network=True)

    assert len(web_server.served("/robots.txt")) == 1


def test_robots_5xx_disallows_everything(fetcher: Fetcher, web_server: Any):
    with pytest.raises(RobotsDisallowedError):
        fetcher.fetch(web_server.url("/articles/grain-deal.html", host="robots-503.example"))

    assert web_server.served("/articles/") == []


def test_robots_4xx_allows_everything(fetcher: Fetcher, web_server: Any):
    result = fetcher.fetch(web_server.url("/private/page.html", host="robots-404.example"))

    assert result.status == 200


def test_unreachable_robots_allows_everything(fetcher: Fetcher, web_server: Any):
    result = fetcher.fetch(web_server.url("/private/page.html", host="robots-down.example"))

    assert result.status == 200
    assert [entry.status for entry in web_server.served("/robots.txt")] == [web.HANG_UP]


def test_429_retry_after_is_honoured_then_fetch_succeeds(
    fetcher: Fetcher, web_server: Any, sleeper: Any
):
    result = fetch_local(fetcher, web_server, "/throttled")

    assert result.status == 200
    assert [entry.status for entry in web_server.served("/throttled")] == [429, 200]
    assert any(0.5 < wait <= 1.0 for wait in sleeper.calls), sleeper.calls


def test_retry_after_longer_than_the_cap_fails_the_item_without_retrying(
    fetcher: Fetcher, web_server: Any
):
    with pytest.raises(RetryAfterTooLongError, match="3600s"):
        fetch_local(fetcher, web_server, "/throttled-long")

    assert web_server.counters["throttled-long"] == 1


def test_5xx_is_retried_with_backoff_then_reported(fetcher: Fetcher, web_server: Any, sleeper: Any):
    with pytest.raises(HttpStatusError, match="503") as caught:
        fetch_local(fetcher, web_server, "/unavailable")

    assert caught.value.status == 503
    assert web_server.counters["unavailable"] == 2, "one try plus max_retries=1"
    assert any(0.005 <= wait <= 0.05 for wait in sleeper.calls), sleeper.calls


def test_4xx_is_not_retried(fetcher: Fetcher, web_server: Any):
    with pytest.raises(HttpStatusError, match="404"):
        fetch_local(fetcher, web_server, "/gone")

    assert web_server.counters["gone"] == 1


def test_read_timeout_is_retried_then_gives_a_timeout_error(
    tmp_path: Path, web_server: Any, sleeper: Any
):
    settings = FetchSettings(read_timeout_seconds=0.3, max_retries=1, backoff_base_seconds=0.01)
    with (
        Fetcher(tmp_path / "state", settings, sleep=sleeper) as fetcher,
        pytest.raises(FetchTimeoutError, match="timed out"),
    ):
        fetcher.fetch(local(web_server, "/slow"), allow_private_network=True)
    assert web_server.counters["slow"] == 2


def test_broken_connection_is_retried_then_reported(fetcher: Fetcher, web_server: Any):
    with pytest.raises(FetchConnectionError, match="connection failed"):
        fetch_local(fetcher, web_server, "/hang-up")

    assert web_server.counters["hang-up"] == 2


def test_streamed_body_over_the_cap_is_cut_off(fetcher: Fetcher, web_server: Any):
    with pytest.raises(BodyTooLargeError, match="cap; cut off") as caught:
        fetch_local(fetcher, web_server, "/huge", max_bytes=2 * 1024 * 1024)

    assert "/huge" in caught.value.url
    [served] = web_server.served("/huge")
    assert served.body_bytes < web.HUGE_BYTES


def test_default_cap_stops_a_50_mb_body(fetcher: Fetcher, web_server: Any):
    assert fetcher.settings.max_body_bytes < web.HUGE_BYTES
    with pytest.raises(BodyTooLargeError):
        fetch_local(fetcher, web_server, "/huge")


def test_declared_length_over_the_cap_is_refused_before_download(fetcher: Fetcher, web_server: Any):
    with pytest.raises(BodyTooLargeError, match="Content-Length"):
        fetch_local(fetcher, web_server, "/huge-declared")


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/image.png", "starts with"), ("/download", "application/octet-stream")],
)
def test_binary_bodies_are_rejected(fetcher: Fetcher, web_server: Any, path: str, reason: str):
    with pytest.raises(BinaryBodyError, match=reason):
        fetch_local(fetcher, web_server, path)


def test_wrong_charset_header_is_survived(fetcher: Fetcher, web_server: Any):
    result = fetch_local(fetcher, web_server, "/wrong-charset.html")

    assert result.charset == "cp1252"
    assert "Le café du port rouvre" in result.text()
    assert "crème brûlée" in result.text()


def test_utf8_body_labelled_latin1_decodes_as_utf8(fetcher: Fetcher, web_server: Any):
    result = fetch_local(fetcher, web_server, "/mislabelled-utf8.html")

    assert result.charset == "utf-8"
    assert "crème brûlée" in result.text()


def test_redirect_loop_is_detected(fetcher: Fetcher, web_server: Any):
    with pytest.raises(RedirectLoopError, match="redirect loop"):
        fetch_local(fetcher, web_server, "/redirect-loop-a")


def test_redirect_cap_is_enforced(fetcher: Fetcher, web_server: Any):
    with pytest.raises(TooManyRedirectsError, match="more than 5 redirects"):
        fetch_local(fetcher, web_server, "/redirect-chain?hops=6")

    result = fetch_local(fetcher, web_server, "/redirect-chain?hops=2")
    assert result.status == 200
    assert len(result.redirects) == 2
    assert result.final_url.endswith("/redirect-chain?hops=0")


def test_loopback_refused_without_allow_private_network(fetcher: Fetcher, web_server: Any):
    with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1"):
        fetcher.fetch(local(web_server, "/articles/grain-deal.html"))

    assert web_server.served() == []


def test_host_resolving_to_private_address_is_refused(fetcher: Fetcher, web_server: Any):
    with pytest.raises(BlockedAddressError, match=r"10\.1\.2\.3"):
        fetcher.fetch(web_server.url("/articles/grain-deal.html", host="intranet.example"))

    assert web_server.served() == []


def test_host_with_any_private_address_is_refused(fetcher: Fetcher, web_server: Any):
    with pytest.raises(BlockedAddressError):
        fetcher.fetch(web_server.url("/articles/grain-deal.html", host="mixed.example"))


def test_redirect_from_public_name_to_loopback_is_refused(fetcher: Fetcher, web_server: Any):
    with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1"):
        fetcher.fetch(web_server.url("/redirect-to-private", host="news.example"))

    assert [entry.status for entry in web_server.served("/redirect-to-private")] == [302]
    assert web_server.served("/articles/") == []


def test_redirect_to_loopback_allowed_for_private_sources(fetcher: Fetcher, web_server: Any):
    result = fetcher.fetch(
        web_server.url("/redirect-to-private", host="news.example"), allow_private_network=True
    )

    assert result.status == 200
    assert result.final_url.startswith("http://127.0.0.1:")


def test_public_name_is_fetched(fetcher: Fetcher, web_server: Any):
    result = fetcher.fetch(web_server.url("/articles/grain-deal.html", host="news.example"))

    assert result.status == 200
    assert web_server.served("/articles/")[0].host.startswith("news.example")


def test_unknown_host_is_a_resolution_error(fetcher: Fetcher):
    with pytest.raises(ResolutionError, match="no addresses"):
        fetcher.fetch("http://nowhere.example/page.html")


@pytest.mark.parametrize("url", ["ftp://example.org/file", "/relative/path", "http://u:p@x.org/"])
def test_invalid_urls_are_refused(fetcher: Fetcher, url: str):
    with pytest.raises(InvalidUrlError):
        fetcher.fetch(url)


def test_requests_to_one_host_are_spaced_by_the_rate_limit(
    fetcher: Fetcher, web_server: Any, sleeper: Any
):
    for name in ("harbor-bridge", "council-budget", "grain-deal"):
        fetch_local(fetcher, web_server, f"/articles/{name}.html", rate_limit_per_second=2.0)

    # The recorder does not really sleep, so slots pile up: each wait is 0.5 s after the last.
    waits = sleeper.calls[-3:]
    gaps = [later - earlier for earlier, later in itertools.pairwise(waits)]
    assert len(gaps) == 2
    assert all(0.3 < gap <= 0.5 for gap in gaps), sleeper.calls


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:220:1::1", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:7f00:1::1", False),
    ],
)
def test_address_classification(address: str, public: bool):
    assert is_public_address(address) is public


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2024, 3, 20, 12, 0, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2024, 3, 20, 12, 2, tzinfo=UTC), usegmt=True)

    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(later, now) == 120.0
    assert parse_retry_after("Wed, 20 Mar 2024 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_one_fetcher_serves_parallel_threads(fetcher: Fetcher, web_server: Any):
    from concurrent.futures import ThreadPoolExecutor

    paths = [f"/articles/{name}.html" for name in ("harbor-bridge", "council-budget", "grain-deal")]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda path: fetch_local(fetcher, web_server, path), paths * 2))

    assert [r.status for r in results[:3]] == [200, 200, 200]
    assert all(r.status in (200, 304) for r in results[3:])
    assert len(web_server.served("/robots.txt")) <= 3
