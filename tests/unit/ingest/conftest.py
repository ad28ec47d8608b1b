"""Fixtures shared by the fetch and reader tests: the real loopback HTTP server.

The server module (``fetch/webserver.py``) is loaded once under the name
``newswire_tests_webserver``; test modules take it from ``sys.modules`` (pytest runs with
``--import-mode=importlib``, so they cannot import it or a conftest).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

WEBSERVER_MODULE = "newswire_tests_webserver"
WEBSERVER_PATH = Path(__file__).resolve().parent / "fetch" / "webserver.py"


def _load_webserver() -> ModuleType:
    if WEBSERVER_MODULE in sys.modules:
        return sys.modules[WEBSERVER_MODULE]
    spec = importlib.util.spec_from_file_location(WEBSERVER_MODULE, WEBSERVER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[WEBSERVER_MODULE] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


web = _load_webserver()


@pytest.fixture
def web_server() -> Iterator[Any]:
    """The loopback server with every dynamic route, on a free port of 127.0.0.1."""
    server = web.WebServer()
    web.install_routes(server)
    server.start()
    try:
        yield server
    finally:
        server.stop()
