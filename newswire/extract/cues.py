"""The cue words of the trigger rules and of modality, loaded from ``data/cues.yaml``.

The file is versioned data like the trigger lexicons: a strict, frozen pydantic model validates
it once per process (:func:`load_cues`), and its ``version`` is part of the extractor version.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from newswire.errors import NewswireError
from newswire.validation import first_error

CUES_RESOURCE = "data/cues.yaml"

Words = frozenset[Annotated[str, Field(min_length=1, pattern=r"^[^\sA-Z]+$")]]


class CueError(NewswireError):
    """The cue file is missing, malformed or inconsistent."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _list_as_set(cls, value: Any) -> Any:
        """A YAML list of words stands for a set; a repeated word is a slip the set would hide."""
        if isinstance(value, list):
            repeated = sorted({str(word) for word in value if value.count(word) > 1})
            if repeated:
                raise ValueError(f"repeated word {repeated[0]!r}")
            return frozenset(value)
        return value


class SharedCues(_Section):
    """Cues of the shared syntax helpers (pronouns, speech, assets)."""

    person_pronouns: Words
    group_pronouns: Words
    latter: Words
    country_nouns: Words
    speaking: Words
    evaluative: Words
    financial: Words
    theatre_countries: Words


class LeaderContactCues(_Section):
    """Cues of the LEADER_CONTACT rule."""

    contact_strong: Words
    visit: Words
    not_a_call_preps: Words
    time_anchor_preps: Words
    state_contacts: Words
    exchanged: Words
    delegation_words: Words
    pair_nouns: Words
    pair_words: Words
    circumstance_preps: Words


class ConfidentialLeakCues(_Section):
    """Cues of the CONFIDENTIAL_LEAK rule."""

    conversation_nouns: Words
    private_cues: Words
    records: Words
    revealing: Words


class TroopDeploymentCues(_Section):
    """Cues of the TROOP_DEPLOYMENT rule."""

    personnel: Words
    deploy_verbs: Words
    presence_nouns: Words
    ukraine_cues: Words


class DiplomaticProtestCues(_Section):
    """Cues of the DIPLOMATIC_PROTEST rule."""

    light_verbs: Words
    envoy_nouns: Words
    target_preps: Words
    rebuke_words: Words
    rebuke_speech: Words
    summon_particles: Words
    summon_verbs: Words


class SanctionsCues(_Section):
    """Cues of the SANCTIONS_OR_ASSETS rule."""

    impose_verbs: Words
    asset_verbs: Words
    asset_nouns: Words
    specific: Words
    sanction_nouns: Words


class MilitaryActionCues(_Section):
    """Cues of the MILITARY_ACTION rule."""

    military_nouns: Words
    place_nouns: Words
    not_military_objects: Words
    launching: Words
    criticising: Words
    sport: Words
    place_preps: Words
    action_nouns: Words
    circumstance_preps: Words
    generic: Words
    take_objects: Words
    launch_objects: Words


class ModalityCues(_Section):
    """Cues of :func:`newswire.extract.modality.read_modality`."""

    negating_verbs: Words
    negating_particles: dict[str, str]
    negating_words: Words
    hypothetical_verbs: Words
    hypothetical_words: Words
    hypothetical_modals: Words
    planning_verbs: Words
    planning_words: Words
    future_aux: Words
    hedge_words: Words
    hedge_verbs: Words
    decision_verbs: Words
    light_verbs: Words
    attribution_verbs: Words
    unrealised: Words
    debunk_words: Words
    temporal_preps: Words
    purpose_nouns: Words

    @model_validator(mode="after")
    def _particles_of_negating_verbs(self) -> ModalityCues:
        stray = sorted(set(self.negating_particles) - self.negating_verbs)
        if stray:
            raise ValueError(f"negating_particles: {stray[0]!r} is not in negating_verbs")
        return self


class CueFile(BaseModel):
    """The whole cue file."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    version: Annotated[str, Field(min_length=1)]
    shared: SharedCues
    leader_contact: LeaderContactCues
    confidential_leak: ConfidentialLeakCues
    troop_deployment: TroopDeploymentCues
    diplomatic_protest: DiplomaticProtestCues
    sanctions: SanctionsCues
    military_action: MilitaryActionCues
    modality: ModalityCues


def parse_cues(text: str, source: str) -> CueFile:
    """Validate the text of a cue file; errors name the source and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CueError(f"{source}: not valid YAML: {exc}") from exc
    try:
        return CueFile.model_validate(data)
    except ValidationError as exc:
        raise CueError(f"{source}: {first_error(exc)}") from exc


@functools.cache
def load_cues() -> CueFile:
    """The packaged cue file, validated once per process."""
    resource = resources.files("newswire.extract").joinpath(CUES_RESOURCE)
    try:
        text = resource.read_text(encoding="utf-8")
    except OSError as exc:
        raise CueError(f"{CUES_RESOURCE}: cannot read: {exc}") from exc
    return parse_cues(text, f"newswire.extract/{CUES_RESOURCE}")
