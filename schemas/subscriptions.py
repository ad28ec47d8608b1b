"""``Subscription``: who wants to hear about which developments, and through which channels.

Files people edit are YAML; load them with :meth:`SubscriptionCatalogue.from_yaml_text`, which
validates through JSON so that strict mode still applies to values written by hand.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Literal

import yaml
from pydantic import Field, model_validator

from schemas.base import Contract
from schemas.events import EventType, Modality

SubscriptionId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")]


class DigestMode(StrEnum):
    """Send each development at once, or group what matched."""

    INSTANT = "instant"
    HOURLY = "hourly"
    DAILY = "daily"


class SignatureScheme(StrEnum):
    """How a webhook is signed."""

    NEWSWIRE = "newswire"
    """``X-Newswire-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` (the default)."""
    STANDARD_WEBHOOKS = "standard-webhooks"
    """``webhook-id``/``webhook-timestamp``/``webhook-signature`` per Standard Webhooks."""


class WebhookChannel(Contract):
    """A generic JSON webhook, signed with HMAC-SHA256 over timestamp and body.

    With ``signature: standard-webhooks`` the secret named by ``secret_env`` (required then) is
    in the ``whsec_<base64>`` form of the Standard Webhooks specification.
    """

    type: Literal["webhook"]
    url: Annotated[str, Field(pattern=r"^https?://")]
    secret_env: EnvName | None = None
    signature: SignatureScheme = SignatureScheme.NEWSWIRE
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    max_per_second: Annotated[float, Field(gt=0)] = 10.0

    @model_validator(mode="after")
    def _standard_webhooks_needs_a_secret(self) -> WebhookChannel:
        if self.signature is SignatureScheme.STANDARD_WEBHOOKS and not self.secret_env:
            raise ValueError("signature standard-webhooks needs secret_env (a whsec_ secret)")
        return self


class SlackChannel(Contract):
    """A Slack incoming webhook; its URL is a secret, so it is read from the environment."""

    type: Literal["slack"]
    webhook_url_env: EnvName
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    max_per_second: Annotated[float, Field(gt=0)] = 1.0


class EmailChannel(Contract):
    """Email over SMTP, plain text and HTML, STARTTLS when asked for."""

    type: Literal["email"]
    to: Annotated[
        tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")], ...], Field(min_length=1)
    ]
    sender: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = "newswire@localhost"
    smtp_host: str = "127.0.0.1"
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    starttls: bool = False
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    max_per_second: Annotated[float, Field(gt=0)] = 5.0


class AppriseChannel(Contract):
    """Any service Apprise speaks (Teams, Telegram, Discord, Matrix, ntfy, ...).

    The service URL (``ntfy://...``, ``json://...``) holds credentials, so it is read from the
    environment variable ``url_env``.
    """

    type: Literal["apprise"]
    url_env: EnvName
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    max_per_second: Annotated[float, Field(gt=0)] = 1.0


Channel = Annotated[
    WebhookChannel | SlackChannel | EmailChannel | AppriseChannel, Field(discriminator="type")
]


class Subscription(Contract):
    """What a subscriber wants to hear about.

    Actors are names, aliases or Wikidata ids; they are resolved against the gazetteer when the
    subscription is loaded by the alerter.
    """

    schema_version: Literal[1] = 1
    id: SubscriptionId
    description: str | None = None
    enabled: bool = True
    event_types: Annotated[tuple[EventType, ...], Field(min_length=1)]
    actors_all: tuple[str, ...] = ()
    actors_any: tuple[str, ...] = ()
    countries: tuple[Annotated[str, Field(pattern=r"^[A-Z]{2,3}$")], ...] = ()
    modalities: Annotated[tuple[Modality, ...], Field(min_length=1)] = (
        Modality.ASSERTED,
        Modality.PLANNED,
    )
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    min_sources: Annotated[int, Field(ge=1)] = 1
    keywords: tuple[str, ...] = ()
    mode: DigestMode = DigestMode.INSTANT
    channels: Annotated[tuple[Channel, ...], Field(min_length=1)]


class SubscriptionCatalogue(Contract):
    """The content of a subscriptions file."""

    subscriptions: tuple[Subscription, ...]

    @model_validator(mode="after")
    def _ids_are_unique(self) -> SubscriptionCatalogue:
        seen: set[str] = set()
        for sub in self.subscriptions:
            if sub.id in seen:
                raise ValueError(f"duplicate subscription id {sub.id!r}")
            seen.add(sub.id)
        return self

    @classmethod
    def from_yaml_text(cls, text: str) -> SubscriptionCatalogue:
        """Parse and validate YAML text (strictly, through its JSON form)."""
        data = yaml.safe_load(text)
        return cls.model_validate_json(json.dumps(data if data is not None else {}))
