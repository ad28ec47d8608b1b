"""The indexer: articles and events from Kafka into Elasticsearch, nothing lost, nothing doubled.

``newswire consume indexer`` runs :func:`consumers.indexer.service.main`: a member of the
``newswire-indexer`` consumer group (see ``consumers.runtime``) whose handler,
:class:`~consumers.indexer.sink.ElasticsearchIndexer`, writes each batch with
``helpers.streaming_bulk`` into the monthly indices behind the ``news-articles`` and
``news-events`` aliases (``schemas.indices``), under the record key as document id with external
versioning (``external_gte``).
"""

from consumers.indexer.bulk import ItemVerdict, bulk_action, classify_item, describe_error
from consumers.indexer.settings import IndexerSettings
from consumers.indexer.sink import ElasticsearchIndexer, IndexerError

__all__ = [
    "ElasticsearchIndexer",
    "IndexerError",
    "IndexerSettings",
    "ItemVerdict",
    "bulk_action",
    "classify_item",
    "describe_error",
]
