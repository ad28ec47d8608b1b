"""``IndexerSettings``: the indexer's typed settings (env prefix ``NEWSWIRE_INDEXER_``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from consumers.runtime import ConsumerSettings
from newswire.settings import ElasticsearchSettings
from schemas.indices import ARTICLES_INDEX, EVENTS_INDEX, IndexSpec
from schemas.topics import ARTICLES, EVENTS, TopicSpec


class IndexerSettings(ConsumerSettings):
    """Where the indexer reads, where it writes and how big its bulk requests are.

    Topic and alias names are settings so that tests (and a second deployment) can isolate
    themselves; Elasticsearch and Kafka connections come from ``NEWSWIRE_ES_`` and
    ``NEWSWIRE_KAFKA_`` (``newswire.settings``).
    """

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_INDEXER_", extra="ignore", frozen=True)

    RENAMED: ClassVar[Mapping[str, str]] = {
        **ConsumerSettings.RENAMED,
        "bulk_timeout_seconds": "bulk_timeout_s",
        "startup_wait_seconds": "startup_timeout_seconds",
    }

    group_id: str = "newswire-indexer"
    # Index one batch while the next is fetched and decoded; bigger batches, fewer round trips.
    pipeline: bool = True
    max_batch_records: int = Field(default=1000, gt=0, le=50_000)
    articles_topic: str = ARTICLES.name
    events_topic: str = EVENTS.name
    articles_alias: str = ARTICLES_INDEX.alias
    events_alias: str = EVENTS_INDEX.alias
    bulk_chunk_size: int = Field(default=1000, gt=0, le=10_000)
    bulk_max_bytes: int = Field(default=10 * 1024 * 1024, gt=1024, le=100 * 1024 * 1024)
    bulk_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    es: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)

    def topic_specs(self) -> tuple[TopicSpec, TopicSpec]:
        """The articles and events topics, with the configured names."""
        return (
            dataclasses.replace(ARTICLES, name=self.articles_topic),
            dataclasses.replace(EVENTS, name=self.events_topic),
        )

    def index_specs(self) -> tuple[IndexSpec, IndexSpec]:
        """The articles and events index specs, with the configured aliases."""
        return (
            dataclasses.replace(ARTICLES_INDEX, alias=self.articles_alias),
            dataclasses.replace(EVENTS_INDEX, alias=self.events_alias),
        )
