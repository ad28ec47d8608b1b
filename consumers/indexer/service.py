"""``newswire consume indexer``: the indexer service's entry point."""

from __future__ import annotations

import logging
import threading

from kafka.errors import KafkaError

from consumers.indexer.settings import IndexerSettings
from consumers.indexer.sink import ElasticsearchIndexer, IndexerError
from consumers.runtime import ConsumerRuntime, configure_json_logging
from newswire.errors import NewswireError
from newswire.transport.kafka import ensure_topics
from schemas.base import Contract

log = logging.getLogger(__name__)


def run_indexer(
    settings: IndexerSettings,
    until_idle: float | None = None,
    *,
    install_signal_handlers: bool = True,
    runtime_ready: threading.Event | None = None,
    runtime_box: list[ConsumerRuntime[Contract]] | None = None,
) -> int:
    """Run one indexer process member until stopped or idle; returns the exit code.

    ``runtime_box`` receives the runtime before it runs (so a caller in another thread can
    :meth:`~ConsumerRuntime.stop` it or read its metrics).
    """
    indexer = ElasticsearchIndexer(settings)
    runtime: ConsumerRuntime[Contract] = ConsumerRuntime(
        list(settings.topic_specs()), indexer, settings
    )
    if runtime_box is not None:
        runtime_box.append(runtime)
    try:
        try:
            ensure_topics(settings.kafka, list(settings.topic_specs()))
        except KafkaError as exc:
            raise IndexerError(
                f"cannot reach Kafka at {settings.kafka.bootstrap_servers}: {exc}"
            ) from exc
        indexer.open()
        if runtime_ready is not None:
            runtime_ready.set()
        return runtime.run(until_idle, install_signal_handlers=install_signal_handlers)
    finally:
        indexer.close()


def main(until_idle: float | None = None) -> int:
    """Entry point of ``newswire consume indexer [--until-idle SECONDS]``; returns the exit code.

    Exit 0 after SIGTERM/SIGINT or once idle for ``until_idle`` seconds; 1 when Kafka or
    Elasticsearch cannot be used (nothing uncommitted is committed then).
    """
    configure_json_logging()
    try:
        settings = IndexerSettings()
        return run_indexer(settings, until_idle)
    except NewswireError as exc:
        log.error("indexer stopped on error", extra={"event": "fatal", "error": str(exc)})
        return 1
