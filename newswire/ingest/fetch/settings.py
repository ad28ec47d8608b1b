"""Settings of the fetcher (env prefix ``NEWSWIRE_FETCH_``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CONTACT_URL = "https://github.com/newswire/newswire"


def package_version() -> str:
    """The installed version of newswire (``0.0.0`` when it is not installed)."""
    try:
        return version("newswire")
    except PackageNotFoundError:
        return "0.0.0"


class FetchSettings(BaseSettings):
    """How politely and defensively we fetch (env prefix ``NEWSWIRE_FETCH_``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_FETCH_", extra="ignore", frozen=True)

    contact_url: str = Field(
        default=DEFAULT_CONTACT_URL, description="Where site owners learn who we are (User-Agent)."
    )
    robots_token: str = Field(
        default="newswire", description="Product token matched against robots.txt user-agent lines."
    )
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    read_timeout_seconds: float = Field(default=15.0, gt=0)
    request_deadline_seconds: float = Field(
        default=60.0, gt=0, description="Whole request, body included (against slow drips)."
    )
    dns_timeout_seconds: float = Field(default=5.0, gt=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_retries: int = Field(default=3, ge=0, le=10, description="Retries of transient failures.")
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    retry_after_cap_seconds: float = Field(
        default=120.0, ge=0, description="Longest Retry-After we wait for; longer fails the item."
    )
    robots_ttl_seconds: float = Field(default=24 * 3600.0, ge=0)
    robots_error_ttl_seconds: float = Field(
        default=600.0, ge=0, description="How long a 5xx or unreachable robots.txt is cached."
    )
    robots_max_bytes: int = Field(default=512 * 1024, ge=1024)
    conditional_get: bool = Field(
        default=True, description="Send stored ETag / Last-Modified (false: always download)."
    )
    sqlite_timeout_seconds: float = Field(default=60.0, gt=0)
    deadline_retries: int = Field(
        default=1, ge=0, le=3, description="Retries of a request that missed its deadline."
    )
    # Requests spend their time waiting on servers and rate limits, not on the CPU, so the
    # default covers a few dozen slow hosts at once (each still capped by its own lanes).
    workers: int = Field(
        default=32,
        ge=1,
        le=256,
        description="Requests in flight at once in a pass (1: one after another, as before).",
    )
    per_host_concurrency: int = Field(
        default=2, ge=1, le=16, description="Items of one host fetched at once (lanes per host)."
    )
    source_budget_seconds: float = Field(
        default=600.0, gt=0, description="Time a source may take; later items wait a pass."
    )
    pass_budget_seconds: float = Field(
        default=1800.0, gt=0, description="Time a pass may take; later items wait a pass."
    )
    host_deadline_misses: int = Field(
        default=2,
        ge=0,
        description="Deadline misses after which a host's other items wait a pass (0: never).",
    )

    @property
    def user_agent(self) -> str:
        """The descriptive User-Agent header: ``newswire/<version> (+<contact url>)``."""
        return f"newswire/{package_version()} (+{self.contact_url})"
