"""Kafka adapters: an idempotent producer of contract records, and topic administration.

Records are keyed by their document id (the topic catalogue says which field) and serialized as
the contract's JSON. Clients are created in :meth:`RecordPublisher.open`, never on import.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from newswire.errors import NewswireError
from newswire.lifecycle import Resource
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


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to produce; ``label`` names it in errors (a record id, a source offset)."""

    topic: str
    key: bytes | None
    value: bytes
    label: str
    headers: list[tuple[str, bytes]] | None = None


class IdempotentProducer(Resource):
    """The one wrapper of ``KafkaProducer``: idempotent, ``acks=all``, sends that wait for acks.

    Every producer of newswire (contract records, dead letters) goes through this class, so they
    share one durability setting. Use as a context manager or call :meth:`open`/:meth:`close`.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        linger_ms: int = 5,
        delivery_timeout_ms: int = 120_000,
        compression_type: str | None = None,
    ) -> None:
        self._settings = settings
        self._options: dict[str, Any] = {
            "linger_ms": linger_ms,
            "delivery_timeout_ms": delivery_timeout_ms,
        }
        if compression_type is not None:
            self._options["compression_type"] = compression_type
        self._producer: KafkaProducer | None = None

    def open(self) -> None:
        """Connect to the cluster (a no-op when connected)."""
        if self._producer is not None:
            return
        try:
            self._producer = KafkaProducer(
                **self._settings.client_options(),
                acks="all",
                enable_idempotence=True,
                max_in_flight_requests_per_connection=5,
                retries=2**31 - 1,
                **self._options,
            )
        except KafkaError as exc:
            raise PublishError(
                f"cannot connect to Kafka at {self._settings.address()}: {exc}"
            ) from exc

    def close(self, timeout_s: float = 30.0) -> None:
        """Flush and disconnect."""
        if self._producer is not None:
            self._producer.flush(timeout=timeout_s)
            self._producer.close(timeout=timeout_s)
            self._producer = None

    def send_all(self, messages: Iterable[OutgoingMessage], *, timeout_s: float) -> int:
        """Send every message and wait until each is acknowledged; returns how many.

        Raises :class:`PublishError` naming what failed (a flush, or the first unacknowledged
        message by its label).
        """
        self.open()
        producer = self._producer
        assert producer is not None
        futures: list[tuple[OutgoingMessage, Any]] = []
        try:
            for message in messages:
                future = producer.send(
                    message.topic, key=message.key, value=message.value, headers=message.headers
                )
                futures.append((message, future))
            producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            # A missing topic (auto-creation is off) ends up here too.
            raise PublishError(f"messages not flushed within {timeout_s}s: {exc}") from exc
        for message, future in futures:
            try:
                future.get(timeout=timeout_s)
            except KafkaError as exc:
                raise PublishError(
                    f"{message.topic}: {message.label} was not acknowledged: {exc}"
                ) from exc
        return len(futures)


class RecordPublisher(Resource):
    """Produces contract records keyed by their document id with :class:`IdempotentProducer`.

    Use as a context manager; :meth:`publish` blocks until every record is acknowledged, so a
    caller that returns normally knows its records are durable in Kafka.
    """

    def __init__(self, settings: KafkaSettings, *, linger_ms: int = 5) -> None:
        self._producer = IdempotentProducer(settings, linger_ms=linger_ms, compression_type="gzip")

    def open(self) -> None:
        """Connect to the cluster."""
        self._producer.open()

    def close(self) -> None:
        """Flush and disconnect."""
        self._producer.close()

    def publish(
        self, spec: TopicSpec, records: Iterable[Contract], *, timeout_s: float = 60.0
    ) -> int:
        """Send records keyed by their id and wait for every acknowledgement.

        Returns how many records were sent. Raises :class:`PublishError` naming the first
        record that failed.
        """
        messages: list[OutgoingMessage] = []
        for record in records:
            if not isinstance(record, spec.model):
                raise PublishError(
                    f"{spec.name} carries {spec.model.__name__}, not {type(record).__name__}"
                )
            key = spec.key_of(record)
            messages.append(
                OutgoingMessage(spec.name, key.encode("utf-8"), encode(record), f"record {key}")
            )
        try:
            return self._producer.send_all(messages, timeout_s=timeout_s)
        except PublishError as exc:
            raise PublishError(f"{spec.name}: {exc}") from exc.__cause__


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
            f"cannot reach Kafka at {settings.address()} to create topics: {exc}"
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
        raise TopicAdminError(f"creating topics on {settings.address()} failed: {exc}") from exc
    finally:
        admin.close()
