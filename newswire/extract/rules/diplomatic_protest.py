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
    has_child,
    subject_actors,
)
from schemas.events import ActorKind, EventType

if TYPE_CHECKING:
    from spacy.tokens import Token

_CUES = load_cues().diplomatic_protest
_ENVOY_NOUNS = _CUES.envoy_nouns
_LIGHT_VERBS = _CUES.light_verbs
_TARGET_PREPS = _CUES.target_preps
_REBUKE_WORDS = _CUES.rebuke_words
_REBUKE_SPEECH = _CUES.rebuke_speech
_SUMMON_PARTICLES = _CUES.summon_particles
_SUMMONING = _CUES.summon_verbs


_OFFICIAL_KINDS = frozenset(
    {ActorKind.PERSON, ActorKind.INSTITUTION, ActorKind.COUNTRY, ActorKind.ORGANIZATION}
)


@trigger_rule(EventType.DIPLOMATIC_PROTEST, version=3)
def diplomatic_protest(ctx: TriggerContext) -> RuleOutcome | None:
    """An official rebuke of another government (condemning, protesting, summoning an envoy)."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    if lemma in _SUMMONING:
        return _summons(ctx, trigger)
    if lemma in _REBUKE_WORDS:
        return _spoken_rebuke(ctx, trigger)
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
    targets = _protest_targets(ctx, trigger, verb)
    targets = [
        (e, t)
        for e, t in targets
        if e.kind in _OFFICIAL_KINDS and country_of(e) not in protester_countries
    ]
    if not targets:
        # "Sybiha condemned the attack, saying Russia ...": the target elsewhere in the
        # sentence, or the one named just before ("He strongly condemned the attacks").
        protester_ids = {e.id for e, _ in protesters}
        targets = [
            (hit.entry, hit.text)
            for hit in ctx.actors
            if hit.entry.id not in protester_ids
            and hit.entry.kind in _OFFICIAL_KINDS
            and country_of(hit.entry) not in protester_countries
        ] or _from_context(ctx, protester_countries)
        if not targets:
            return None
        return make_outcome([*protesters, targets[0]], 0.6)
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


def _official(pairs: list[tuple[GazetteerEntry, str]]) -> list[tuple[GazetteerEntry, str]]:
    return [(e, t) for e, t in pairs if e.kind in _OFFICIAL_KINDS]


def _from_context(ctx: TriggerContext, not_countries: set[str]) -> list[tuple[GazetteerEntry, str]]:
    """The latest official actor named before the sentence, of none of ``not_countries``."""
    for entry in reversed(ctx.context_actors):
        if entry.kind in _OFFICIAL_KINDS and country_of(entry) not in not_countries:
            return [(entry, entry.name)]
    return []


def _summons(ctx: TriggerContext, trigger: Token) -> RuleOutcome | None:
    """An envoy summoned, called in or expelled: the envoy's country is the target."""
    # "call" summons only with its particle ("called in"); "summon" and "expel" need none.
    if trigger.lemma_.lower() == "call" and not has_child(trigger, {"prt"}, set(_SUMMON_PARTICLES)):
        return None
    phrases = [c for c in trigger.children if c.dep_ in ("dobj", "nsubjpass")]
    envoys = [
        phrase
        for phrase in phrases
        if any(t.lemma_.lower() in _ENVOY_NOUNS for t in phrase.subtree)
    ]
    if not envoys:
        return None
    targets = _official(
        [
            (hit.entry, hit.text)
            for phrase in envoys
            for hit in ctx.actors_in(clause_subtree(phrase, keep_relative=False))
        ]
    )
    if not targets and trigger.dep_ == "relcl":
        # "Italy and Spain, whose envoys were also called in"
        targets = _official(
            [
                (hit.entry, hit.text)
                for hit in ctx.actors_in(clause_subtree(trigger.head, keep_relative=False))
            ]
        )
    if not targets:
        return None
    target_countries = {country_of(e) for e, _ in targets}
    protesters = [
        (e, t)
        for e, t in _official(subject_actors(ctx, trigger))
        if country_of(e) not in target_countries
    ]
    if not protesters and any(c.dep_ == "nsubjpass" for c in trigger.children):
        # "France's ambassador was called in": by whom the article said just before.
        protesters = _from_context(ctx, target_countries)
    if not protesters:
        return None
    first_country = country_of(targets[0][0])
    targets = [(e, t) for e, t in targets if country_of(e) == first_country]
    return make_outcome([protesters[0], *targets[:2]], 0.8)


def _spoken_rebuke(ctx: TriggerContext, trigger: Token) -> RuleOutcome | None:
    """A rebuke as plain speech: "X called the remarks unacceptable" (X an official)."""
    speakers: list[tuple[GazetteerEntry, str]] = []
    verb: Token | None = None
    for token in [trigger, *list(trigger.ancestors)[:5]]:
        if token.pos_ in ("VERB", "AUX") and token.lemma_.lower() in _REBUKE_SPEECH:
            found = _official(subject_actors(ctx, token))
            if found:
                speakers, verb = found, token
                break
    if not speakers or verb is None:
        return None
    speaker_countries = {country_of(e) for e, _ in speakers}
    speaker_ids = {e.id for e, _ in speakers}
    near = clause_subtree(trigger, keep_relative=True) | {t.i for t in verb.subtree}
    targets = [
        (hit.entry, hit.text)
        for hit in ctx.actors_in(sorted(near))
        if hit.entry.id not in speaker_ids
        and hit.entry.kind in _OFFICIAL_KINDS
        and country_of(hit.entry) not in speaker_countries
    ]
    if not targets:
        targets = _from_context(ctx, speaker_countries)
    if not targets:
        return None
    return make_outcome([speakers[0], targets[0]], 0.6)
