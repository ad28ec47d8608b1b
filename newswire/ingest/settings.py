"""Settings of the ingest pass (env prefix ``NEWSWIRE_INGEST_``)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_state_dir() -> Path:
    """Where ingest state (seen articles, ETags, robots cache, run files) lives by default.

    Under the user's data directory (``$XDG_DATA_HOME`` or ``~/.local/share``).
    """
    base = os.environ.get("XDG_DATA_HOME")
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root / "newswire" / "ingest"


class IngestSettings(BaseSettings):
    """How the ingest pass normalizes and de-duplicates (env prefix ``NEWSWIRE_INGEST_``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_INGEST_", extra="ignore", frozen=True)

    state_dir: Path = Field(default_factory=default_state_dir)
    catalogue_path: Path | None = Field(
        default=None, description="Source catalogue used when none is given explicitly."
    )
    near_duplicate_threshold: float = Field(
        default=0.6, gt=0.0, le=1.0, description="Jaccard threshold of the MinHash LSH."
    )
    shingle_size: int = Field(default=5, ge=1, le=20, description="Words per shingle.")
    num_perm: int = Field(default=128, ge=16, le=1024, description="MinHash permutations.")
    minhash_seed: int = Field(default=1, ge=0)
    min_text_chars: int = Field(
        default=80, ge=0, description="Below this, a page is treated as having no article text."
    )
    normalize_workers: int = Field(
        default=0,
        ge=0,
        description="Processes that normalize a batch of files or documents; 0 = one per core.",
    )
    keep_runs: int = Field(
        default=48, ge=1, description="How many runs' hand-off files to keep in the state dir."
    )
    sqlite_timeout_seconds: float = Field(default=60.0, gt=0)
    kafka_publish_timeout_seconds: float = Field(default=120.0, gt=0)
