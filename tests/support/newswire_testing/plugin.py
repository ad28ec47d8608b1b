"""The fixtures of the loopback servers, each started before its test and stopped after it.

``web_server`` and ``news_site`` (the fetch, reader, ingest and DAG tests), ``webhook`` and
``smtp`` (the alerter's channels), ``fault_proxy`` (faults in front of the real Elasticsearch),
``kibana_endpoint`` (Kibana's saved-objects import); ``every_kind_catalogue`` writes a source
catalogue pointing at the news site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from newswire.settings import ElasticsearchSettings
from newswire_testing import webserver
from newswire_testing.faultproxy import FaultProxy
from newswire_testing.kibana import KibanaImportEndpoint
from newswire_testing.newssite import NewsSite, running_news_site, write_every_kind_catalogue
from newswire_testing.smtp import SmtpSink
from newswire_testing.webhook import WebhookReceiver


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


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """A webhook receiver answering 200 unless the test queues other statuses."""
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """An SMTP sink whose port is chosen; the test starts it (``smtp.start()``) when it wants."""
    sink = SmtpSink()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def fault_proxy(es_settings: ElasticsearchSettings) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the real Elasticsearch (``es_settings``)."""
    with FaultProxy(es_settings.url) as proxy:
        yield proxy


@pytest.fixture
def kibana_endpoint() -> Iterator[KibanaImportEndpoint]:
    """Kibana's saved-objects import endpoint, answering 200 unless the test sets ``status``."""
    with KibanaImportEndpoint() as endpoint:
        yield endpoint
