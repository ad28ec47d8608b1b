"""``SearchSettings`` (env prefix ``NEWSWIRE_SEARCH_``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from newswire.settings import ElasticsearchSettings, RenamedSettings
from schemas.indices import EVENTS_INDEX


class SearchSettings(RenamedSettings):
    """Which alias ``newswire search`` reads, how many hits it shows, how long it waits."""

    # Errors never quote the values given (the nested Elasticsearch login).
    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_SEARCH_", extra="ignore", frozen=True, hide_input_in_errors=True
    )
    RENAMED: ClassVar[Mapping[str, str]] = {"timeout_seconds": "timeout_s"}

    events_alias: str = EVENTS_INDEX.alias
    size: int = Field(default=20, gt=0, le=1000)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    es: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
