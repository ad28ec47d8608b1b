"""The settings every consumer shares; each service subclasses them with its own env prefix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from newswire.settings import KafkaSettings, RenamedSettings


class ConsumerSettings(RenamedSettings):
    """Consumer-group, batching, retry and metrics settings (subclass to set ``env_prefix``)."""

    # Errors never quote the values given (the nested Kafka login; subclasses inherit it).
    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_CONSUMER_", extra="ignore", frozen=True, hide_input_in_errors=True
    )
    RENAMED: ClassVar[Mapping[str, str]] = {
        "retry_initial_backoff_seconds": "retry_initial_backoff_s",
        "retry_max_backoff_seconds": "retry_max_backoff_s",
        "join_timeout_seconds": "join_timeout_s",
        "dlq_timeout_seconds": "dlq_timeout_s",
        "lag_refresh_seconds": "lag_refresh_s",
    }
    RENAMED_FROM_MS: ClassVar[Mapping[str, str]] = {
        "poll_timeout_seconds": "poll_timeout_ms",
        "max_poll_interval_seconds": "max_poll_interval_ms",
        "session_timeout_seconds": "session_timeout_ms",
        "heartbeat_interval_seconds": "heartbeat_interval_ms",
        "commit_timeout_seconds": "commit_timeout_ms",
        "metadata_max_age_seconds": "metadata_max_age_ms",
        "close_timeout_seconds": "close_timeout_ms",
    }

    group_id: str = "newswire-consumer"
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    poll_timeout_seconds: float = Field(default=0.5, gt=0, le=60.0)
    max_batch_records: int = Field(default=500, gt=0, le=50_000)
    max_poll_interval_seconds: float = Field(default=300.0, gt=0)
    session_timeout_seconds: float = Field(default=10.0, gt=0)
    heartbeat_interval_seconds: float = Field(default=3.0, gt=0)
    commit_timeout_seconds: float = Field(default=30.0, gt=0)
    metadata_max_age_seconds: float = Field(
        default=5.0,
        gt=0,
        description=(
            "Refresh topic metadata at least this often. A member that joined before its "
            "topics' partitions were known gets an empty assignment and only rejoins once "
            "fresh metadata shows them (kafka-python's default waits five minutes)."
        ),
    )
    close_timeout_seconds: float = Field(default=10.0, gt=0)
    pipeline: bool = Field(
        default=False,
        description=(
            "Handle a batch in a background thread while the next one is fetched and decoded "
            "(at most one batch ahead; commits stay in order). The handler must tolerate "
            "being called from another thread (one call at a time)."
        ),
    )
    check_crcs: bool = Field(
        default=True,
        description=(
            "Verify record CRCs. kafka-python computes CRC32C in pure Python unless the "
            "`crc32c` package is installed; turning it off trades that check for CPU."
        ),
    )
    retry_initial_backoff_seconds: float = Field(default=0.5, gt=0)
    retry_max_backoff_seconds: float = Field(default=30.0, gt=0)
    retry_max_attempts: int | None = Field(
        default=None,
        ge=1,
        description="Give up (exit non-zero, nothing committed) after this many.",
    )
    join_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        description="With until_idle: give up when no assignment came within this (plus idle).",
    )
    dlq_timeout_seconds: float = Field(default=60.0, gt=0)
    empty_share_rejoin_seconds: float = Field(
        default=3.0,
        gt=0,
        description="Join again when an empty partition share lasts this long (doubling).",
    )
    empty_share_rejoins: int = Field(
        default=3, ge=0, le=10, description="How many times to join again after empty shares."
    )
    startup_wait_seconds: float = Field(
        default=180.0,
        gt=0,
        description=(
            "At start-up, how long to wait for Kafka and Elasticsearch to answer (retrying "
            "with backoff) before exiting with an error; one deadline for all set-up steps."
        ),
    )
    startup_max_backoff_seconds: float = Field(
        default=5.0, gt=0, description="The longest pause between two start-up attempts."
    )
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_addr: str = "127.0.0.1"
    lag_refresh_seconds: float = Field(default=5.0, ge=0)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
