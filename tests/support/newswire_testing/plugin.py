"""The fixtures of the loopback servers: ``web_server``, ``news_site``, ``every_kind_catalogue``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from newswire_testing import webserver
from newswire_testing.newssite import NewsSite, running_news_site, write_every_kind_catalogue


@pytest.fixture
def web_server() -> Iterator[webserver.WebServer]:
    """The loopback server with every dynamic route, on a free port of 127.0.0.1."""
    server = webserver.WebServer()
    webserver.install_routes(server)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def news_site() -> Iterator[NewsSite]:
    """The loopback news site, for the whole session."""
    with running_news_site() as site:
        yield site


@pytest.fixture
def every_kind_catalogue() -> Callable[..., dict[str, str]]:
    """:func:`~newswire_testing.newssite.write_every_kind_catalogue`."""
    return write_every_kind_catalogue
