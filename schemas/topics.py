"""The Kafka topic catalogue: each topic, its key, its payload contract and its dead-letter topic."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.articles import NormalizedArticle
from schemas.base import Contract
from schemas.events import Event

DLQ_SUFFIX = ".dlq"

# A dead-letter record keeps the original key and value bytes unchanged; these headers say
# where it came from and why it failed (UTF-8 text values).
DLQ_HEADER_TOPIC = "newswire.source.topic"
DLQ_HEADER_PARTITION = "newswire.source.partition"
DLQ_HEADER_OFFSET = "newswire.source.offset"
DLQ_HEADER_STAGE = "newswire.stage"
DLQ_HEADER_ERROR = "newswire.error"
DLQ_HEADER_FAILED_AT = "newswire.failed_at"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic and what travels on it."""

    name: str
    model: type[Contract]
    key_field: str
    partitions: int
    replication_factor: int = 1
    retention_ms: int = 14 * 24 * 3600 * 1000

    @property
    def dlq(self) -> str:
        """The dead-letter topic of this topic."""
        return self.name + DLQ_SUFFIX

    def key_of(self, record: Contract) -> str:
        """The Kafka key of a record on this topic (its document id)."""
        value = getattr(record, self.key_field)
        if not isinstance(value, str):
            raise TypeError(f"{self.name}: key field {self.key_field!r} is not a string")
        return value


ARTICLES = TopicSpec(name="news.articles.v1", model=NormalizedArticle, key_field="id", partitions=3)
EVENTS = TopicSpec(name="news.events.v1", model=Event, key_field="event_id", partitions=3)

TOPICS: dict[str, TopicSpec] = {spec.name: spec for spec in (ARTICLES, EVENTS)}


def topic(name: str) -> TopicSpec:
    """Look a topic up by name; a clear error names the known topics."""
    try:
        return TOPICS[name]
    except KeyError:
        known = ", ".join(sorted(TOPICS))
        raise KeyError(f"unknown topic {name!r}; known topics: {known}") from None


def all_topic_names() -> list[str]:
    """Every topic to create: the data topics and their dead-letter topics."""
    names: list[str] = []
    for spec in TOPICS.values():
        names.extend([spec.name, spec.dlq])
    return names
