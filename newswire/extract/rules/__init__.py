"""Argument attachment from the dependency parse and the registered rule of each event type.

A rule receives one trigger (a token the lexicon matched) with the actors of its sentence and
returns the event's participants, or None when the trigger is not an event of that type (a
"call for" is not a phone call, "sanctions have taken a toll" is not a new sanction, Russian
troops are not a Western deployment, a rebuke of the press is not a diplomatic protest).

Importing this package registers the rules (one module per event type); the shared parse
helpers are in :mod:`.syntax`, what a rule receives and returns in :mod:`.context`, and the
cue words in ``data/cues.yaml``.
"""

from __future__ import annotations

from newswire.extract.rules.confidential_leak import confidential_leak
from newswire.extract.rules.context import ActorHit, RuleOutcome, TriggerContext
from newswire.extract.rules.diplomatic_protest import diplomatic_protest
from newswire.extract.rules.leader_contact import leader_contact
from newswire.extract.rules.military_action import military_action
from newswire.extract.rules.sanctions import sanctions_or_assets
from newswire.extract.rules.syntax import (
    argument_zone,
    clause_subtree,
    clause_verb,
    controller_subjects,
    resolve_own_country,
    resolve_pronoun,
)
from newswire.extract.rules.troop_deployment import UKRAINE_ID, troop_deployment

__all__ = [
    "UKRAINE_ID",
    "ActorHit",
    "RuleOutcome",
    "TriggerContext",
    "argument_zone",
    "clause_subtree",
    "clause_verb",
    "confidential_leak",
    "controller_subjects",
    "diplomatic_protest",
    "leader_contact",
    "military_action",
    "resolve_own_country",
    "resolve_pronoun",
    "sanctions_or_assets",
    "troop_deployment",
]
