"""Kafka adapters: an idempotent producer of contract records, and topic administration.

Records are keyed by their document id (the topic catalogue says which field) and serialized as
the contract's JSON. Clients are created in :meth:`RecordPublisher.open`, never on import.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Self

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from newswire.errors import NewswireError
from newswire.settings import KafkaSettings
from schemas.base import Contract
from schemas.topics import TOPICS, TopicSpec

log = logging.getLogger(__name__)


class PublishError(NewswireError):
    """A record could not be written to Kafka."""


class TopicAdminError(NewswireError):
    """Topics could not be listed or created."""


def encode(record: Contract) -> bytes:
    """The wire form of a record: its contract JSON, UTF-8."""
    return record.model_dump_json().encode("utf-8")


class RecordPublisher:
    """Produces contract records with the idempotent producer (``acks=all``).

    Use as a context manager; :meth:`publish` blocks until every record is acknowledged, so a
    caller that returns normally knows its records are durable in Kafka.
    """

    def __init__(self, settings: KafkaSettings | None = None, *, linger_ms: int = 5) -> None:
        self._settings = settings or KafkaSettings()
        self._linger_ms = linger_ms
        self._producer: KafkaProducer | None = None

    def open(self) -> None:
        """Connect to the cluster."""
        if self._producer is None:
            try:
                self._producer = KafkaProducer(
                    **self._settings.client_options(),
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=self._linger_ms,
                    max_in_flight_requests_per_connection=5,
                    retries=2**31 - 1,
                    delivery_timeout_ms=120_000,
                    compression_type="gzip",
                )
            except KafkaError as exc:
                raise PublishError(
                    f"cannot connect to Kafka at {self._settings.bootstrap_servers}: {exc}"
                ) from exc

    def close(self) -> None:
        """Flush and disconnect."""
        if self._producer is not None:
            self._producer.flush(timeout=30)
            self._producer.close(timeout=30)
            self._producer = None

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def publish(
        self, spec: TopicSpec, records: Iterable[Contract], *, timeout_s: float = 60.0
    ) -> int:
        """Send records keyed by their id and wait for every acknowledgement.

        Returns how many records were sent. Raises :class:`PublishError` naming the first
        record that failed.
        """
        if self._producer is None:
            self.open()
        producer = self._producer
        assert producer is not None
        futures: list[tuple[str, Any]] = []
        for record in records:
            if not isinstance(record, spec.model):
                raise PublishError(
                    f"{spec.name} carries {spec.model.__name__}, not {type(record).__name__}"
                )
            key = spec.key_of(record)
            futures.append(
                (key, producer.send(spec.name, key=key.encode("utf-8"), value=encode(record)))
            )
        try:
            producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            raise PublishError(
                f"{spec.name}: records not flushed within {timeout_s}s: {exc}"
            ) from exc
        for key, future in futures:
            try:
                future.get(timeout=timeout_s)
            except KafkaError as exc:
                raise PublishError(
                    f"{spec.name}: record {key} was not acknowledged: {exc}"
                ) from exc
        return len(futures)


def ensure_topics(
    settings: KafkaSettings, specs: Sequence[TopicSpec] | None = None, *, timeout_ms: int = 30_000
) -> list[str]:
    """Create the catalogue's topics and their dead-letter topics if missing.

    Returns the names created now (empty when all existed).
    """
    wanted: list[NewTopic] = []
    for spec in specs if specs is not None else list(TOPICS.values()):
        config = {"retention.ms": str(spec.retention_ms)}
        wanted.append(
            NewTopic(spec.name, spec.partitions, spec.replication_factor, topic_configs=config)
        )
        wanted.append(NewTopic(spec.dlq, 1, spec.replication_factor, topic_configs=config))
    try:
        admin = KafkaAdminClient(**settings.client_options())
    except KafkaError as exc:
        raise TopicAdminError(
            f"cannot reach Kafka at {settings.bootstrap_servers} to create topics: {exc}"
        ) from exc
    try:
        existing = set(admin.list_topics())
        missing = [topic for topic in wanted if topic.name not in existing]
        if missing:
            try:
                admin.create_topics(missing, timeout_ms=timeout_ms)
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process")
        return [topic.name for topic in missing]
    except KafkaError as exc:
        raise TopicAdminError(
            f"creating topics on {settings.bootstrap_servers} failed: {exc}"
        ) from exc
    finally:
        admin.close()
