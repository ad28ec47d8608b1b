"""Fixtures of the fetch tests: a fetcher pointed at the loopback server of ``../conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from newswire_testing import webserver as web

from newswire.ingest.fetch import Fetcher, FetchSettings


class SleepRecorder:
    """Stands in for time.sleep: records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def fetch_settings() -> FetchSettings:
    return FetchSettings(
        connect_timeout_seconds=2.0,
        read_timeout_seconds=2.0,
        request_deadline_seconds=20.0,
        max_retries=1,
        backoff_base_seconds=0.01,
        backoff_max_seconds=0.05,
        retry_after_cap_seconds=10.0,
    )


@pytest.fixture
def sleeper() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def fetcher(
    tmp_path: Path, web_server: object, fetch_settings: FetchSettings, sleeper: SleepRecorder
) -> Iterator[Fetcher]:
    """A fetcher whose connections all reach the test server.

    Test host names resolve through a table: ``news.example`` and the ``robots-*.example``
    names to a public address, ``intranet.example`` to a private one.
    """
    resolver = web.table_resolver(
        {
            "news.example": [web.PUBLIC_TEST_ADDRESS],
            "robots-503.example": [web.PUBLIC_TEST_ADDRESS],
            "robots-404.example": [web.PUBLIC_TEST_ADDRESS],
            "robots-down.example": [web.PUBLIC_TEST_ADDRESS],
            "intranet.example": ["10.1.2.3"],
            "mixed.example": [web.PUBLIC_TEST_ADDRESS, "127.0.0.1"],
        }
    )
    with Fetcher(
        tmp_path / "state",
        fetch_settings,
        resolver=resolver,
        connector=web.loopback_connector(web_server.port),  # type: ignore[attr-defined]
        sleep=sleeper,
    ) as opened:
        yield opened
