"""Fixtures of the reader tests: a fetcher (the loopback ``web_server`` is ``../conftest.py``'s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newswire.ingest.fetch import Fetcher, FetchSettings


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def fetcher(state_dir: Path, web_server: Any) -> Iterator[Fetcher]:
    """A fetcher that does not really sleep between requests (rate limits are fetch tests)."""
    settings = FetchSettings(max_retries=1, backoff_base_seconds=0.01, backoff_max_seconds=0.02)
    with Fetcher(state_dir, settings, sleep=lambda seconds: None) as opened:
        yield opened
