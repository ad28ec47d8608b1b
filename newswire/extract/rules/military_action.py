"""The MILITARY_ACTION rule: a specific strike, assault or territorial gain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newswire.extract.cues import load_cues
from newswire.extract.gazetteer import GazetteerEntry
from newswire.extract.patterns import trigger_rule
from newswire.extract.rules.context import RuleOutcome, TriggerContext, make_outcome
from newswire.extract.rules.syntax import (
    argument_zone,
    asset_object,
    clause_subtree,
    clause_verb,
    controller_subjects,
    has_child,
    is_opinion_subject,
    resolve_pronoun,
    subject_actors,
    words,
)
from schemas.events import ActorKind, EventType

if TYPE_CHECKING:
    from spacy.tokens import Token

_CUES = load_cues().military_action
_SHARED = load_cues().shared
_ACTION_NOUNS = _CUES.action_nouns
_CIRCUMSTANCE_PREPS = _CUES.circumstance_preps
_CRITICISING = _CUES.criticising
_GENERIC = _CUES.generic
_LAUNCHING = _CUES.launching
_LAUNCH_OBJECTS = _CUES.launch_objects
_MILITARY_NOUNS = _CUES.military_nouns
_NOT_MILITARY_OBJECTS = _CUES.not_military_objects
_PLACE_NOUNS = _CUES.place_nouns
_PLACE_PREPS = _CUES.place_preps
_SPEAKING = _SHARED.speaking
_SPORT = _CUES.sport
_TAKE_OBJECTS = _CUES.take_objects


def _is_place(ctx: TriggerContext, token: Token) -> bool:
    """A proper name where something happens ("near Vilcha", "captured Avdiivka").

    Without a named-entity recogniser (it is the most expensive component, so the pipeline
    leaves it out), a place is a proper noun that is not a gazetteer actor and sits in a
    locative phrase or as the object of the action.
    """
    if token.pos_ != "PROPN" or ctx.actor_at(token) is not None or not token.text[:1].isupper():
        return False
    head = token
    while head.dep_ in ("compound", "amod", "flat") and head.head.i != head.i:
        head = head.head
    if head.dep_ == "pobj":
        return head.head.lower_ in _PLACE_PREPS
    return head.dep_ in ("dobj", "appos")


def _place_name(ctx: TriggerContext, token: Token) -> str:
    """The whole name a place token belongs to ("Kharkov Region", "Zaporizhzhia")."""
    head = token
    while head.dep_ in ("compound", "flat") and head.head.i != head.i:
        head = head.head
    parts = [t for t in head.subtree if t.i <= head.i and t.dep_ in ("compound", "flat")]
    start = min([head.i, *(t.i for t in parts)])
    return str(ctx.doc[start : head.i + 1].text)


def _without_circumstances(ctx: TriggerContext, zone: set[int]) -> set[int]:
    """Drop "during/after/despite ..." phrases: they set the scene, they are not the target."""
    dropped: set[int] = set()
    for i in zone:
        token = ctx.doc[i]
        if token.dep_ == "prep" and (token.lower_ in _CIRCUMSTANCE_PREPS or token.pos_ == "VERB"):
            dropped.update(t.i for t in token.subtree)
    return zone - dropped


@trigger_rule(EventType.MILITARY_ACTION, version=2)
def military_action(ctx: TriggerContext) -> RuleOutcome | None:
    """A specific strike, assault or territorial gain, with an attacker or a place."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    objects = [c for c in trigger.children if c.dep_ in ("dobj", "nsubjpass", "attr")]
    object_lemmas = {o.lemma_.lower() for o in objects}
    if object_lemmas & _NOT_MILITARY_OBJECTS:
        return None
    if lemma == "take" and not (
        object_lemmas & _TAKE_OBJECTS or any(_is_place(ctx, o) for o in objects)
    ):
        return None
    if lemma == "launch" and not (object_lemmas & _LAUNCH_OBJECTS):
        return None
    if lemma in ("fire",) and not (
        object_lemmas & {"missile", "rocket", "shell", "drone"}
        or has_child(trigger, {"prt"}, {"at"})
    ):
        return None
    if lemma in ("seize", "capture") and asset_object(trigger):
        return None
    if lemma == "attack" and any(
        (hit := ctx.actor_at(o)) is not None and hit.entry.kind is ActorKind.PERSON for o in objects
    ):
        return None
    if (
        lemma == "strike"
        and trigger.pos_ == "NOUN"
        and has_child(
            trigger,
            {"compound", "amod"},
            {"general", "labor", "labour", "worker", "hunger", "rail"},
        )
    ):
        return None
    if has_child(trigger, {"amod", "advmod"}, set(_GENERIC)) or (
        trigger.dep_ in ("nsubj", "attr")
        and trigger.head.lemma_.lower() in ("remain", "be")
        and words(ctx.doc) & _GENERIC
    ):
        return None
    zone = argument_zone(trigger)
    zone_tokens = [ctx.doc[i] for i in sorted(zone)]
    attackers: list[tuple[GazetteerEntry, str]] = []
    needs_target = False
    if trigger.pos_ in ("VERB", "AUX"):
        attackers.extend(subject_actors(ctx, trigger))
    elif trigger.head.lemma_.lower() in _LAUNCHING and trigger.dep_ in ("dobj", "nsubjpass"):
        attackers.extend(subject_actors(ctx, trigger.head))
    if is_opinion_subject(trigger) or words(ctx.doc) & _SPORT:
        return None
    if trigger.dep_ in ("acl", "relcl") and trigger.head.lemma_.lower() in _ACTION_NOUNS:
        return None  # "strikes targeting Ukrainian forces": the strikes are the event
    for child in trigger.children:
        if child.dep_ in ("poss", "compound", "amod", "nmod") or (
            child.dep_ == "prep" and child.lower_ == "by"
        ):
            attackers.extend(
                (hit.entry, hit.text) for hit in ctx.actors_in(t.i for t in child.subtree)
            )
    for subject in controller_subjects(trigger):
        for token in (ctx.doc[i] for i in sorted(clause_subtree(subject, keep_relative=False))):
            if token.lower_ in ("their", "its", "our") and not attackers:
                entry = resolve_pronoun(ctx, token)
                if entry is not None:
                    attackers.append((entry, token.text))
    target_zone = _without_circumstances(ctx, clause_subtree(trigger, keep_relative=True))
    if trigger.pos_ not in ("VERB", "AUX") and trigger.head.lemma_.lower() in _LAUNCHING:
        target_zone |= _without_circumstances(
            ctx, clause_subtree(trigger.head, keep_relative=False)
        ) - {t.i for s in controller_subjects(trigger.head) for t in s.subtree}
    if not attackers and trigger.pos_ not in ("VERB", "AUX"):
        # "Russia is massing troops for a fresh offensive": the state behind the noun.
        fallback = [
            (e, t)
            for e, t in subject_actors(ctx, trigger)
            if e.kind in (ActorKind.COUNTRY, ActorKind.INSTITUTION)
        ]
        head_lemma = clause_verb(trigger).lemma_.lower()
        if fallback and head_lemma not in _SPEAKING | _CRITICISING:
            attackers = fallback
            needs_target = True
    others = [(hit.entry, hit.text) for hit in ctx.actors_in(target_zone)]
    military_words = {t.lemma_.lower() for t in zone_tokens} & _MILITARY_NOUNS
    places = [t for t in zone_tokens if _is_place(ctx, t)]
    place_nouns = {t.lemma_.lower() for t in zone_tokens} & _PLACE_NOUNS
    has_target = bool(places or place_nouns or others)
    if needs_target and not has_target:
        return None
    if not (attackers or military_words):
        return None
    if not has_target and not attackers:
        return None
    if not attackers and not places:
        return None
    location = None
    if places:
        location = _place_name(ctx, places[0])
    pairs = [*attackers, *others]
    return make_outcome(pairs[:4], 0.75 if attackers else 0.6, location)
