"""Fixtures of the reader tests: the loopback web server of the fetch tests, and a fetcher."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from newswire.ingest.fetch import Fetcher, FetchSettings

WEBSERVER_PATH = Path(__file__).resolve().parents[1] / "fetch" / "webserver.py"


def _load_webserver() -> ModuleType:
    name = "newswire_tests_webserver"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, WEBSERVER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


web = _load_webserver()


@pytest.fixture
def web_server() -> Iterator[Any]:
    server = web.WebServer()
    web.install_routes(server)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def fetcher(state_dir: Path, web_server: Any) -> Iterator[Fetcher]:
    """A fetcher that does not really sleep between requests (rate limits are fetch tests)."""
    settings = FetchSettings(max_retries=1, backoff_base_seconds=0.01, backoff_max_seconds=0.02)
    with Fetcher(state_dir, settings, sleep=lambda seconds: None) as opened:
        yield opened
