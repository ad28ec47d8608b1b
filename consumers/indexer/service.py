"""``newswire consume indexer``: the indexer service (the shared skeleton) and its entry point."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from consumers.indexer.settings import IndexerSettings
from consumers.indexer.sink import ElasticsearchIndexer
from consumers.runtime import configure_json_logging
from consumers.runtime.loop import Handler
from consumers.runtime.service import ELASTICSEARCH, ConsumerService
from newswire.errors import NewswireError
from newswire.logs import LogSettings
from schemas.base import Contract
from schemas.topics import TopicSpec

log = logging.getLogger(__name__)


class IndexerService(ConsumerService[Contract]):
    """The articles and events topics into Elasticsearch (templates put at startup)."""

    stage = ElasticsearchIndexer.stage

    def __init__(self, settings: IndexerSettings) -> None:
        super().__init__(settings)
        self.settings = settings
        self._indexer = ElasticsearchIndexer(settings)

    def topics(self) -> Sequence[TopicSpec]:
        """The catalogue's articles and events topics (under the configured names)."""
        return self.settings.topic_specs()

    def open_handler(self) -> Handler[Contract]:
        """Connect to Elasticsearch and put the index templates (waits for the cluster)."""
        self.wait_for(ELASTICSEARCH, self._indexer.open)
        return self._indexer

    def close(self) -> None:
        """Close the Elasticsearch client."""
        self._indexer.close()


def run_indexer(
    settings: IndexerSettings,
    until_idle: float | None = None,
    *,
    install_signal_handlers: bool = True,
) -> int:
    """Run one indexer process member until stopped or idle; returns the exit code."""
    return IndexerService(settings).run(until_idle, install_signal_handlers=install_signal_handlers)


def main(until_idle: float | None = None) -> int:
    """Entry point of ``newswire consume indexer [--until-idle SECONDS]``; returns the exit code.

    Exit 0 after SIGTERM/SIGINT or once idle for ``until_idle`` seconds; 1 when Kafka or
    Elasticsearch cannot be used (nothing uncommitted is committed then).
    """
    configure_json_logging(LogSettings())
    try:
        settings = IndexerSettings()
        return run_indexer(settings, until_idle)
    except NewswireError as exc:
        log.error("indexer stopped on error", extra={"event": "fatal", "error": str(exc)})
        return 1
