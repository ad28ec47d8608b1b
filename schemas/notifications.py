"""``Notification``: what the alerter delivers, and how delivery went."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Contract
from schemas.events import Event


class NotificationKind(StrEnum):
    """A first alert for a development, or a follow-up that says what changed."""

    NEW = "new"
    UPDATE = "update"


class DeliveryStatus(StrEnum):
    """State of one outbox entry."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Contract):
    """One message for one subscription about one version of one development.

    ``idempotency_key`` is stable across retries and restarts: receivers drop repeats by it.
    """

    schema_version: Literal[1] = 1
    idempotency_key: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    subscription_id: str
    development_id: str
    development_version: Annotated[int, Field(ge=1)]
    kind: NotificationKind
    changes: tuple[str, ...] = ()
    headline: str
    event: Event
    source_count: Annotated[int, Field(ge=1)] = 1
    source_urls: tuple[str, ...] = ()
    created_at: AwareDatetime
    test: bool = False
    """True for a sample sent by ``newswire subscriptions test``: not a real development."""


class DeliveryRecord(Contract):
    """The outbox entry of a (subscription, channel, development, version)."""

    schema_version: Literal[1] = 1
    idempotency_key: str
    subscription_id: str
    channel: str
    development_id: str
    development_version: Annotated[int, Field(ge=1)]
    status: DeliveryStatus
    attempts: Annotated[int, Field(ge=0)] = 0
    last_error: str | None = None
    first_attempt_at: AwareDatetime | None = None
    last_attempt_at: AwareDatetime | None = None
    sent_at: AwareDatetime | None = None
