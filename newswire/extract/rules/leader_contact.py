"""The LEADER_CONTACT rule: calls, meetings, talks and visits between leaders of different countries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newswire.extract.cues import load_cues
from newswire.extract.gazetteer import GazetteerEntry
from newswire.extract.patterns import trigger_rule
from newswire.extract.rules.context import (
    RuleOutcome,
    TriggerContext,
    country_of,
    dedupe,
    make_outcome,
)
from newswire.extract.rules.syntax import (
    argument_zone,
    controller_subjects,
    has_child,
    resolve_pronoun,
    subject_actors,
)
from schemas.events import ActorKind, EventType

if TYPE_CHECKING:
    from spacy.tokens import Token

_CUES = load_cues().leader_contact
_CONTACT_STRONG = _CUES.contact_strong
_DELEGATION_WORDS = _CUES.delegation_words
_EXCHANGED = _CUES.exchanged
_NOT_A_CALL_PREPS = _CUES.not_a_call_preps
_STATE_CONTACTS = _CUES.state_contacts
_TIME_ANCHOR_PREPS = _CUES.time_anchor_preps
_VISIT = _CUES.visit
_PAIR_NOUNS = _CUES.pair_nouns
_PAIR_WORDS = _CUES.pair_words
_CIRCUMSTANCE_PREPS = _CUES.circumstance_preps
_PERSON_PRONOUNS = load_cues().shared.person_pronouns


@trigger_rule(EventType.LEADER_CONTACT, version=4)
def leader_contact(ctx: TriggerContext) -> RuleOutcome | None:
    """A call, meeting, talks or visit between two leaders or top envoys of different countries."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    if lemma == "call" and (
        has_child(trigger, {"prep"}, {"for"})
        or (trigger.pos_ == "VERB" and has_child(trigger, {"prep"}, set(_NOT_A_CALL_PREPS)))
        or has_child(trigger, {"prt"}, {"off", "up", "in"})
        or any(c.dep_ in ("oprd", "attr") for c in trigger.children)
        or any(c.dep_ == "ccomp" and c.pos_ in ("NOUN", "PROPN", "ADJ") for c in trigger.children)
    ):
        return None
    if (
        trigger.pos_ in ("NOUN", "PROPN")
        and trigger.head.dep_ == "prep"
        and (
            trigger.head.lower_ in _TIME_ANCHOR_PREPS
            or (trigger.head.lower_ == "of" and trigger.head.head.lower_ in ("ahead", "eve"))
        )
    ):
        # "two days before the Alaska summit": a time anchor, not news of a meeting.
        return None
    if (
        lemma in ("talk", "speak")
        and has_child(trigger, {"prep"}, {"about", "of"})
        and not has_child(trigger, {"prep"}, {"with", "to"})
    ):
        return None
    if lemma == "exchange" and trigger.pos_ == "VERB":
        objects = {c.lemma_.lower() for c in trigger.children if c.dep_ == "dobj"}
        if objects and not objects & _EXCHANGED:
            return None  # prisoners, fire, bodies: not a conversation
    zone = argument_zone(trigger)
    pairs = [(hit.entry, hit.text) for hit in ctx.actors_in(zone)]
    pairs.extend(subject_actors(ctx, trigger))
    pairs.extend(_pronoun_partners(ctx, zone))
    people = [(e, t) for e, t in pairs if e.kind is ActorKind.PERSON]
    people_entries, people_texts = dedupe(people)
    if len(people_entries) < 2 and _names_the_pair(ctx, zone):
        # "The two presidents spoke again by telephone": the two people named just before.
        people_entries, people_texts = dedupe([*people, *_last_two_people(ctx)])
    if len(people_entries) == 1:
        visitor = people_entries[0]
        if lemma in _VISIT and _visit_as_circumstance(trigger):
            # "Scholz, speaking on a visit to Rome, said ...": where someone was, not a contact.
            return None
        if lemma in _VISIT:
            places = [
                (hit.entry, hit.text)
                for hit in ctx.actors_in(zone)
                if hit.entry.kind in (ActorKind.COUNTRY, ActorKind.INSTITUTION)
                and hit.entry.country != visitor.country
                and _is_destination(ctx.doc[hit.root])
            ]
            if places:
                return make_outcome([(visitor, people_texts[0]), places[0]], 0.7)
            return None
        zone_words = _zone_words(ctx, zone)
        foreign = [
            (hit.entry, hit.text)
            for hit in ctx.actors_in(zone)
            if hit.entry.kind is ActorKind.COUNTRY
            and hit.entry.country != visitor.country
            and ctx.doc[hit.root].head.lemma_.lower() in _DELEGATION_WORDS
        ]
        if zone_words & _DELEGATION_WORDS and foreign:
            return make_outcome([(visitor, people_texts[0]), foreign[0]], 0.65)
        return None
    countries = {country_of(entry) for entry in people_entries}
    if len(people_entries) < 2 or len(countries) < 2:
        zone_words = _zone_words(ctx, zone)
        states = [
            (hit.entry, hit.text)
            for hit in ctx.actors_in(zone)
            if hit.entry.kind is ActorKind.COUNTRY and _names_a_delegation(ctx.doc[hit.root])
        ]
        state_entries, state_texts = dedupe(states)
        if zone_words & _DELEGATION_WORDS and len(state_entries) >= 2 and not people_entries:
            return make_outcome(zip(state_entries, state_texts, strict=True), 0.7)
        # "The United States and Ukraine held talks": states as the parties themselves.
        subjects = {t.i for s in controller_subjects(trigger) for t in [s, *s.conjuncts]}
        subject_states, subject_texts = dedupe(
            (hit.entry, hit.text)
            for hit in ctx.actors
            if hit.root in subjects and hit.entry.kind is ActorKind.COUNTRY
        )
        if not people_entries and len(subject_states) >= 2 and lemma in _STATE_CONTACTS:
            return make_outcome(zip(subject_states, subject_texts, strict=True), 0.7)
        return None
    confidence = 0.85 if lemma in _CONTACT_STRONG else 0.72
    return make_outcome(zip(people_entries, people_texts, strict=True), confidence)


def _visit_as_circumstance(trigger: Token) -> bool:
    """Whether a visit noun only says where someone was ("during a visit to Poland")."""
    head = trigger.head
    return (
        trigger.pos_ in ("NOUN", "PROPN")
        and trigger.dep_ == "pobj"
        and head.lower_ in _CIRCUMSTANCE_PREPS
    )


def _pronoun_partners(ctx: TriggerContext, zone: set[int]) -> list[tuple[GazetteerEntry, str]]:
    """People meant by object pronouns in the zone ("spoke to him")."""
    found: list[tuple[GazetteerEntry, str]] = []
    for i in sorted(zone):
        token = ctx.doc[i]
        if token.lower_ in _PERSON_PRONOUNS and token.dep_ in ("pobj", "dobj", "dative"):
            entry = resolve_pronoun(ctx, token)
            if entry is not None:
                found.append((entry, token.text))
    return found


def _names_the_pair(ctx: TriggerContext, zone: set[int]) -> bool:
    """Whether the zone speaks of "the two leaders", "both men", "the pair"."""
    for i in zone:
        token = ctx.doc[i]
        if token.lemma_.lower() in _PAIR_NOUNS and any(
            c.lower_ in _PAIR_WORDS for c in token.children
        ):
            return True
    return False


def _last_two_people(ctx: TriggerContext) -> list[tuple[GazetteerEntry, str]]:
    """The last two people of different countries named before the sentence."""
    found: list[GazetteerEntry] = []
    for entry in reversed(ctx.context_actors):
        if entry.kind is not ActorKind.PERSON or any(e.id == entry.id for e in found):
            continue
        if found and found[0].country == entry.country:
            continue
        found.append(entry)
        if len(found) == 2:
            break
    return [(entry, entry.name) for entry in reversed(found)] if len(found) == 2 else []


def _names_a_delegation(token: Token) -> bool:
    """Whether a country names one side of talks ("Russian and Ukrainian delegations")."""
    while token.dep_ == "conj" and token.head.i != token.i:
        token = token.head
    head = token.head
    if token.dep_ == "pobj" and head.lower_ == "between":
        return True
    return token.dep_ in ("amod", "compound", "poss") and head.lemma_.lower() in _DELEGATION_WORDS


def _zone_words(ctx: TriggerContext, zone: set[int]) -> set[str]:
    """Lemmas of the zone outside actor names ("top diplomat" in a title is not a delegation)."""
    return {ctx.doc[i].lemma_.lower() for i in zone if ctx.actor_at(ctx.doc[i]) is None}


def _is_destination(token: Token) -> bool:
    """Whether a token is where a visit goes ("travel to Kyiv", "visit the White House")."""
    current = token
    while current.dep_ in ("compound", "amod", "poss", "det") and current.head.i != current.i:
        current = current.head
    if current.dep_ == "dobj" and current.head.lemma_.lower() in _VISIT:
        return True
    return current.dep_ == "pobj" and current.head.lower_ in ("to", "in", "for")
