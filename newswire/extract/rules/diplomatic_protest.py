"""The DIPLOMATIC_PROTEST rule: an official rebuke of another government."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newswire.extract.cues import load_cues
from newswire.extract.gazetteer import GazetteerEntry
from newswire.extract.patterns import trigger_rule
from newswire.extract.rules.context import RuleOutcome, TriggerContext, country_of, make_outcome
from newswire.extract.rules.syntax import (
    clause_subtree,
    clause_verb,
    controller_subjects,
    subject_actors,
)
from schemas.events import ActorKind, EventType

if TYPE_CHECKING:
    from spacy.tokens import Token

_CUES = load_cues().diplomatic_protest
_ENVOY_NOUNS = _CUES.envoy_nouns
_LIGHT_VERBS = _CUES.light_verbs
_TARGET_PREPS = _CUES.target_preps


_OFFICIAL_KINDS = frozenset(
    {ActorKind.PERSON, ActorKind.INSTITUTION, ActorKind.COUNTRY, ActorKind.ORGANIZATION}
)


@trigger_rule(EventType.DIPLOMATIC_PROTEST, version=2)
def diplomatic_protest(ctx: TriggerContext) -> RuleOutcome | None:
    """An official rebuke of another government (condemning, protesting, summoning an envoy)."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    protesters: list[tuple[GazetteerEntry, str]] = []
    if trigger.pos_ in ("VERB", "AUX"):
        protesters.extend(subject_actors(ctx, trigger))
        verb = trigger
    else:
        verb = clause_verb(trigger)
        for child in trigger.children:
            if child.dep_ in ("poss", "compound", "amod"):
                protesters.extend(
                    (hit.entry, hit.text) for hit in ctx.actors_in(t.i for t in child.subtree)
                )
            if child.dep_ == "prep" and child.lower_ in ("from", "by"):
                protesters.extend(
                    (hit.entry, hit.text) for hit in ctx.actors_in(t.i for t in child.subtree)
                )
        if not protesters and (verb.lemma_.lower() in _LIGHT_VERBS or trigger.dep_ in ("nsubj",)):
            protesters.extend(subject_actors(ctx, verb))
    protesters = [(e, t) for e, t in protesters if e.kind in _OFFICIAL_KINDS]
    if not protesters:
        return None
    protester_countries = {country_of(e) for e, _ in protesters}
    if lemma == "summon":
        envoys = [t for t in trigger.subtree if t.lemma_.lower() in _ENVOY_NOUNS]
        if not envoys:
            return None
        phrases = []
        for envoy in envoys:
            while envoy.dep_ in ("compound", "amod") and envoy.head.i != envoy.i:
                envoy = envoy.head
            phrases.append(envoy)
        targets = [
            (hit.entry, hit.text)
            for phrase in phrases
            for hit in ctx.actors_in(clause_subtree(phrase, keep_relative=False))
        ]
    else:
        targets = _protest_targets(ctx, trigger, verb)
    targets = [
        (e, t)
        for e, t in targets
        if e.kind in _OFFICIAL_KINDS and country_of(e) not in protester_countries
    ]
    if not targets:
        return None
    first_country = country_of(targets[0][0])
    targets = [(e, t) for e, t in targets if country_of(e) == first_country]
    confidence = 0.7 if lemma in ("accuse", "criticism", "criticize", "criticise") else 0.85
    return make_outcome([*protesters, *targets[:2]], confidence)


def _protest_targets(
    ctx: TriggerContext, trigger: Token, verb: Token
) -> list[tuple[GazetteerEntry, str]]:
    """Who is rebuked: direct objects first, then "against/over/at" objects, then the rest."""
    heads = [trigger] if trigger.pos_ in ("VERB", "AUX") else [trigger, verb]
    ordered: list[tuple[GazetteerEntry, str]] = []
    for head in heads:
        for child in head.children:
            if child.dep_ in ("dobj", "dative", "nsubjpass") or (
                child.dep_ == "prep" and child.lower_ in _TARGET_PREPS
            ):
                ordered.extend(
                    (hit.entry, hit.text)
                    for hit in ctx.actors_in(clause_subtree(child, keep_relative=False))
                )
    subject_tokens = {t.i for s in controller_subjects(verb) for t in s.subtree}
    rest = clause_subtree(trigger, keep_relative=False) - subject_tokens
    ordered.extend((hit.entry, hit.text) for hit in ctx.actors_in(rest))
    return ordered
