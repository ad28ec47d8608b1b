"""The Elasticsearch index catalogue: versioned composable templates, aliases, document ids.

Indices are monthly (``news-events-2026.11``) and read through aliases (``news-events``) that the
templates attach to every index they create. The month comes from ``first_seen_at``, a value that
never changes for a document id, so a replay always lands on the same index and overwrites; a
record without it falls back to ``published_at`` (set by the source, not by us), then to
``-undated``. Volatile times such as ``fetched_at`` or ``extracted_at`` are never used.
Mappings only use what the core-only Elasticsearch of the local stack supports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schemas.articles import NormalizedArticle
from schemas.base import Contract
from schemas.events import Event

TEMPLATE_VERSION = 1
# The low bits of an article's external version hold its source count (capped there).
COUNT_BITS = 20
COUNT_LIMIT = (1 << COUNT_BITS) - 1

_ANALYSIS: dict[str, Any] = {
    # Only core analysis is available on the local node (no analysis-common: no asciifolding).
    "normalizer": {"lowercase_keyword": {"type": "custom", "filter": ["lowercase"]}},
    "analyzer": {
        "english_shingles": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "stop", "shingle"],
        }
    },
}


def _keyword(**extra: Any) -> dict[str, Any]:
    return {"type": "keyword", **extra}


def _text_with_keyword() -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": "standard",
        "fields": {"keyword": {"type": "keyword", "ignore_above": 512}},
    }


ARTICLE_PROPERTIES: dict[str, Any] = {
    "schema_version": {"type": "integer"},
    "id": _keyword(),
    "version": {"type": "integer"},
    "url": _keyword(ignore_above=2048),
    "canonical_url": _keyword(ignore_above=2048),
    "title": _text_with_keyword(),
    "text": {
        "type": "text",
        "analyzer": "standard",
        "fields": {"shingles": {"type": "text", "analyzer": "english_shingles"}},
    },
    "authors": _keyword(normalizer="lowercase_keyword"),
    "published_at": {"type": "date"},
    "published_at_source": _keyword(),
    "language": _keyword(),
    "language_confidence": {"type": "float"},
    "source_id": _keyword(),
    "fetched_at": {"type": "date"},
    "first_seen_at": {"type": "date"},
    "content_hash": _keyword(),
    "near_duplicate_signature": {"type": "long", "index": False, "doc_values": False},
    "text_method": _keyword(),
    "source_count": {"type": "integer"},
    "tags": _keyword(),
    "source_path": _keyword(index=False),
}

EVENT_PROPERTIES: dict[str, Any] = {
    "schema_version": {"type": "integer"},
    "event_id": _keyword(),
    "article_id": _keyword(),
    "article_version": {"type": "integer"},
    "type": _keyword(),
    "actors": {
        "properties": {
            "id": _keyword(),
            "name": {
                "type": "text",
                "analyzer": "standard",
                "fields": {
                    "keyword": _keyword(),
                    "lower": _keyword(normalizer="lowercase_keyword"),
                },
            },
            "kind": _keyword(),
            "role": _keyword(),
            "country": _keyword(),
            "mention": _keyword(index=False),
        }
    },
    "modality": _keyword(),
    "event_date": {"type": "date", "format": "strict_date"},
    "event_date_text": _keyword(index=False),
    "location": _keyword(),
    "evidence": {
        "type": "text",
        "analyzer": "standard",
        "store": True,
        "term_vector": "with_positions_offsets",
    },
    "evidence_start": {"type": "integer"},
    "evidence_end": {"type": "integer"},
    "trigger": _keyword(normalizer="lowercase_keyword"),
    "confidence": {"type": "float"},
    "historical": {"type": "boolean"},
    "mentions": {"type": "integer"},
    "source_id": _keyword(),
    "article_url": _keyword(ignore_above=2048),
    "article_title": _text_with_keyword(),
    "published_at": {"type": "date"},
    "first_seen_at": {"type": "date"},
    "extracted_at": {"type": "date"},
    "extractor_version": _keyword(),
}


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """An alias, the template behind it and how a document finds its index."""

    alias: str
    model: type[Contract]
    id_field: str
    version_field: str
    month_fields: tuple[str, ...]
    properties: dict[str, Any] = field(repr=False)
    count_field: str | None = None
    shards: int = 1
    replicas: int = 0

    @property
    def template_name(self) -> str:
        """Name of the composable index template."""
        return f"{self.alias}-v{TEMPLATE_VERSION}"

    @property
    def index_pattern(self) -> str:
        """The pattern the template applies to (and Kibana's data view reads)."""
        return f"{self.alias}-*"

    def template_body(self) -> dict[str, Any]:
        """The body of ``PUT _index_template/<template_name>``."""
        return {
            "index_patterns": [self.index_pattern],
            "version": TEMPLATE_VERSION,
            "priority": 200,
            "_meta": {"managed_by": "newswire", "contract": self.model.__name__},
            "template": {
                "settings": {
                    "number_of_shards": self.shards,
                    "number_of_replicas": self.replicas,
                    "analysis": _ANALYSIS,
                },
                "mappings": {
                    "dynamic": "strict",
                    "_meta": {"template_version": TEMPLATE_VERSION},
                    "properties": self.properties,
                },
                "aliases": {self.alias: {}},
            },
        }

    def index_for(self, record: Contract) -> str:
        """The monthly index a record belongs to (``<alias>-YYYY.MM``, or ``-undated``)."""
        for name in self.month_fields:
            value = getattr(record, name, None)
            if isinstance(value, datetime):
                return f"{self.alias}-{value:%Y.%m}"
        return f"{self.alias}-undated"

    def doc_id(self, record: Contract) -> str:
        """The document id: the record's Kafka key."""
        value = getattr(record, self.id_field)
        if not isinstance(value, str):
            raise TypeError(f"{self.alias}: id field {self.id_field!r} is not a string")
        return value

    def version_of(self, record: Contract) -> int:
        """The external version that keeps stale replays from overwriting newer documents.

        With a ``count_field`` (an article's ``source_count``, which only grows for an id) the
        count fills the low bits: a re-publication of the same text with more sources
        overwrites the document, while a replay of an older count or version is refused.
        """
        value = getattr(record, self.version_field)
        if not isinstance(value, int):
            raise TypeError(f"{self.alias}: version field {self.version_field!r} is not an int")
        if self.count_field is None:
            return value
        count = getattr(record, self.count_field)
        if not isinstance(count, int):
            raise TypeError(f"{self.alias}: count field {self.count_field!r} is not an int")
        return (value << COUNT_BITS) | min(count, COUNT_LIMIT)


ARTICLES_INDEX = IndexSpec(
    alias="news-articles",
    model=NormalizedArticle,
    id_field="id",
    version_field="version",
    month_fields=("first_seen_at", "published_at"),
    count_field="source_count",
    properties=ARTICLE_PROPERTIES,
)
EVENTS_INDEX = IndexSpec(
    alias="news-events",
    model=Event,
    id_field="event_id",
    version_field="article_version",
    month_fields=("first_seen_at", "published_at"),
    properties=EVENT_PROPERTIES,
)

INDICES: dict[str, IndexSpec] = {spec.alias: spec for spec in (ARTICLES_INDEX, EVENTS_INDEX)}
