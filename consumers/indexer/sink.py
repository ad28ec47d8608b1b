"""The indexer's handler: contract records into Elasticsearch with ``streaming_bulk``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch
from elasticsearch.helpers import streaming_bulk

from consumers.indexer.bulk import ItemVerdict, bulk_action, classify_item, describe_error
from consumers.indexer.settings import IndexerSettings
from consumers.runtime import ConsumedRecord, ConsumerError, Outcome, SinkBusy
from newswire.errors import NewswireError
from newswire.logs import bound
from newswire.search.templates import put_index_templates
from schemas.articles import NormalizedArticle
from schemas.base import Contract
from schemas.events import Event
from schemas.indices import IndexSpec

log = logging.getLogger(__name__)


def record_ids(value: Contract) -> dict[str, str]:
    """The ids a log line about this record carries (``article_id``, ``event_id``)."""
    if isinstance(value, Event):
        return {"article_id": value.article_id, "event_id": value.event_id}
    if isinstance(value, NormalizedArticle):
        return {"article_id": value.id}
    return {}


def _log_indexed(batch: Sequence[ConsumedRecord[Contract]], settled: dict[int, Outcome]) -> None:
    """One line per bulk call naming the ids of the documents indexed.

    Not a line per document: rendering one costs about as much as indexing a small document.
    """
    done = [batch[position].value for position, outcome in settled.items() if outcome.is_done]
    if not done:
        return
    ids = [record_ids(value) for value in done]
    log.info(
        "%d document(s) indexed",
        len(done),
        extra={
            "event": "indexed",
            "article_ids": sorted({i["article_id"] for i in ids if "article_id" in i}),
            "event_ids": [i["event_id"] for i in ids if "event_id" in i],
        },
    )


class IndexerError(NewswireError):
    """The indexer cannot start or go on (templates refused, Elasticsearch unreachable)."""


class ElasticsearchIndexer:
    """Indexes a batch of articles and events; the ``indexer`` stage of the consumer runtime.

    Each record becomes one bulk item under its document id (the Kafka key) with its external
    version. Items that succeed or meet a newer version are done; items Elasticsearch pushes back
    (429/503/timeouts) or a failed connection make :meth:`handle` raise :class:`SinkBusy` with
    the items already settled, so the runtime retries only the others; items rejected by the
    mapping are dead-lettered.
    """

    stage = "indexer"

    def __init__(self, settings: IndexerSettings) -> None:
        self._settings = settings
        topics = settings.topic_specs()
        indices = settings.index_specs()
        self._index_by_topic: dict[str, IndexSpec] = {
            topic.name: index for topic, index in zip(topics, indices, strict=True)
        }
        self._es: Elasticsearch | None = None

    @property
    def index_specs(self) -> list[IndexSpec]:
        """The index specs this indexer writes to."""
        return list(self._index_by_topic.values())

    def open(self) -> None:
        """Connect to Elasticsearch and put the index templates (one attempt).

        Raises :class:`IndexerError` from the client's error when the cluster does not answer
        or refuses the templates; the service waits out the transient ones
        (:meth:`consumers.runtime.service.ConsumerService.wait_for`).
        """
        if self._es is None:
            options: dict[str, Any] = dict(self._settings.es.client_options())
            self._es = Elasticsearch(**options, max_retries=0, retry_on_timeout=False)
        try:
            self.put_templates()
        except ApiError as exc:
            raise IndexerError(f"index templates refused: {exc}") from exc
        except TransportError as exc:
            raise IndexerError(
                f"Elasticsearch at {self._settings.es.url} unreachable: {exc}"
            ) from exc

    def close(self) -> None:
        """Close the Elasticsearch client."""
        es, self._es = self._es, None
        if es is not None:
            es.close()

    def _client(self) -> Elasticsearch:
        if self._es is None:
            raise ConsumerError("the indexer is not open")
        return self._es

    def put_templates(self) -> list[str]:
        """Create or update the index templates (idempotent); returns their names."""
        return put_index_templates(
            self._client(), self.index_specs, timeout_s=self._settings.bulk_timeout_seconds
        )

    def _index_of(self, record: ConsumedRecord[Contract]) -> IndexSpec:
        try:
            return self._index_by_topic[record.topic]
        except KeyError:
            raise ConsumerError(f"no index for topic {record.topic!r}") from None

    def handle(self, batch: Sequence[ConsumedRecord[Contract]]) -> Sequence[Outcome]:
        """Index the batch; one outcome per record, or :class:`SinkBusy` with what is settled."""
        if not batch:
            return []
        es = self._client().options(request_timeout=self._settings.bulk_timeout_seconds)
        actions = [
            bulk_action(self._index_of(record), record.value, record.raw) for record in batch
        ]
        settled: dict[int, Outcome] = {}
        pushed_back: list[str] = []
        results = streaming_bulk(
            es,
            actions,
            chunk_size=self._settings.bulk_chunk_size,
            max_chunk_bytes=self._settings.bulk_max_bytes,
            raise_on_error=False,
            raise_on_exception=False,
            max_retries=0,
            yield_ok=True,
        )
        try:
            for position, (ok, item) in enumerate(results):
                info: dict[str, Any] = next(iter(item.values()))
                status = info.get("status")
                error = info.get("error")
                verdict = classify_item(ok, status, error)
                if verdict is ItemVerdict.DONE:
                    settled[position] = Outcome.done()
                elif verdict is ItemVerdict.REJECT:
                    reason = f"HTTP {status}: {describe_error(error)}"
                    settled[position] = Outcome.dead_letter(reason)
                    with bound(**record_ids(batch[position].value)):
                        log.warning(
                            "document rejected",
                            extra={
                                "event": "rejected",
                                "record_id": batch[position].record_id,
                                "error": reason,
                            },
                        )
                else:
                    pushed_back.append(f"HTTP {status}: {describe_error(error)}")
        except TransportError as exc:
            raise SinkBusy(f"Elasticsearch unreachable: {exc}", settled=settled) from exc
        _log_indexed(batch, settled)
        if len(settled) < len(batch):
            sample = "; ".join(sorted(set(pushed_back))[:3]) or "no result for some items"
            raise SinkBusy(
                f"{len(batch) - len(settled)} of {len(batch)} items pushed back: {sample}",
                settled=settled,
            )
        return [settled[position] for position in range(len(batch))]
