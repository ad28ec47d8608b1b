"""The fixtures of the loopback servers, each started before its test and stopped after it.

``web_server`` and ``news_site`` (the fetch, reader, ingest and DAG tests), ``webhook`` and
``smtp`` (the alerter's channels), ``fault_proxy`` (faults in front of the real Elasticsearch),
``kibana_endpoint`` (Kibana's saved-objects import); ``every_kind_catalogue`` writes a source
catalogue pointing at the news site. Beside the servers, the readers of the real topics:
``topic_tail`` opens a :class:`~newswire_testing.topics.TopicTail` when the test asks,
``articles_tail`` and ``events_tail`` one of the articles and events topics at set-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from newswire.settings import ElasticsearchSettings, KafkaSettings
from newswire_testing import webserver
from newswire_testing.faultproxy import FaultProxy
from newswire_testing.kibana import KibanaImportEndpoint
from newswire_testing.newssite import NewsSite, running_news_site, write_every_kind_catalogue
from newswire_testing.smtp import SmtpSink
from newswire_testing.topics import TopicTail
from newswire_testing.webhook import WebhookReceiver
from schemas.articles import NormalizedArticle
from schemas.events import Event
from schemas.topics import ARTICLES, EVENTS, TopicSpec


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


@pytest.fixture
def topic_tail(kafka_settings: KafkaSettings) -> Iterator[Callable[[TopicSpec], TopicTail[Any]]]:
    """``topic_tail(ARTICLES)``: a tail of the topic from now on; every tail closed afterwards."""
    opened: list[TopicTail[Any]] = []

    def open_tail(spec: TopicSpec) -> TopicTail[Any]:
        tail: TopicTail[Any] = TopicTail(kafka_settings, spec)
        opened.append(tail)
        return tail

    yield open_tail
    for tail in opened:
        tail.close()


@pytest.fixture
def articles_tail(
    topic_tail: Callable[[TopicSpec], TopicTail[NormalizedArticle]],
) -> TopicTail[NormalizedArticle]:
    """What the test appends to the articles topic (a tail opened at set-up)."""
    return topic_tail(ARTICLES)


@pytest.fixture
def events_tail(topic_tail: Callable[[TopicSpec], TopicTail[Event]]) -> TopicTail[Event]:
    """What the test appends to the events topic (a tail opened at set-up)."""
    return topic_tail(EVENTS)
