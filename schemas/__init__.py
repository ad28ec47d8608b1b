"""Contracts between newswire stages.

Every record that crosses a boundary (an Airflow task, a Kafka topic, an Elasticsearch index, a
notification channel) is one of the frozen, strict, versioned pydantic models defined here, once.
Validate JSON with ``Model.model_validate_json``: strict mode accepts ISO dates and JSON arrays
only from JSON text, never silently coerced Python objects.
"""

from schemas.articles import NormalizedArticle, PublishedAtSource, TextMethod
from schemas.base import Contract
from schemas.events import (
    ActorKind,
    ActorRef,
    Event,
    EventType,
    EventTypeCodes,
    Modality,
    event_type_codes,
)
from schemas.notifications import DeliveryStatus, Notification, NotificationKind
from schemas.subscriptions import (
    Channel,
    DigestMode,
    EmailChannel,
    SlackChannel,
    Subscription,
    SubscriptionCatalogue,
    WebhookChannel,
)

__all__ = [
    "ActorKind",
    "ActorRef",
    "Channel",
    "Contract",
    "DeliveryStatus",
    "DigestMode",
    "EmailChannel",
    "Event",
    "EventType",
    "EventTypeCodes",
    "Modality",
    "NormalizedArticle",
    "Notification",
    "NotificationKind",
    "PublishedAtSource",
    "SlackChannel",
    "Subscription",
    "SubscriptionCatalogue",
    "TextMethod",
    "WebhookChannel",
    "event_type_codes",
]
