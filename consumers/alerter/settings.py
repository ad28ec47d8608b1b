"""``AlerterSettings`` (env prefix ``NEWSWIRE_ALERTER_``) and secrets named by subscriptions.

Subscriptions name the environment variables that hold their secrets (``secret_env``,
``webhook_url_env``, ``password_env``); :func:`read_secret_env` reads them through
pydantic-settings, so that no business code reads the environment itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from consumers.runtime.settings import ConsumerSettings
from newswire.resources import resource_path
from newswire.settings import ElasticsearchSettings
from schemas.topics import EVENTS

DEFAULT_SUBSCRIPTIONS_FILE = resource_path("consumers.alerter", "subscriptions.yaml")


class AlerterSettings(ConsumerSettings):
    """How the alerter runs (env prefix ``NEWSWIRE_ALERTER_``); consumer settings included."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_ALERTER_", extra="ignore", frozen=True)

    group_id: str = "newswire-alerter"
    subscriptions_file: Path = DEFAULT_SUBSCRIPTIONS_FILE
    topic: str = EVENTS.name
    developments_index: str = "newswire-developments"
    outbox_index: str = "newswire-outbox"
    development_window_days: int = Field(default=3, ge=0, le=60)
    evidence_overlap_min: float = Field(default=0.2, ge=0.0, le=1.0)
    retry_initial_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    give_up_after_seconds: float = Field(default=24 * 3600.0, gt=0)
    store_timeout_seconds: float = Field(default=10.0, gt=0)
    drain_timeout_seconds: float = Field(
        default=5.0, ge=0, description="On exit, how long to wait for queued deliveries."
    )
    digest_tick_seconds: float = Field(default=1.0, gt=0)
    sent_marks_max_wait_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long a delivery's sent mark may wait to be written with others"
        " (a crash re-sends what was sent meanwhile, with the same idempotency keys).",
    )
    smtp_ca_file: Path | None = Field(
        default=None,
        description="CA bundle verifying SMTP servers' STARTTLS certificates (default: system).",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Signs webhooks whose channel names no secret_env."
    )
    # Where developments and the outbox live (NEWSWIRE_ES_*), as for the indexer.
    es: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)


class _SecretFromEnv(BaseSettings):
    """Base of the one-variable settings classes that read a channel's secret."""

    model_config = SettingsConfigDict(frozen=True, hide_input_in_errors=True)


@lru_cache(maxsize=256)
def _secret_settings_class(env_name: str) -> type[BaseSettings]:
    return create_model(
        f"SecretFrom_{env_name}",
        __base__=_SecretFromEnv,
        __config__=None,
        value=(SecretStr | None, Field(default=None, validation_alias=env_name)),
    )


def read_secret_env(env_name: str) -> SecretStr | None:
    """The value of the environment variable ``env_name`` as a secret, or None when unset/empty."""
    settings = _secret_settings_class(env_name)()
    value = getattr(settings, "value", None)
    if not isinstance(value, SecretStr) or not value.get_secret_value():
        return None
    return value
