"""The TROOP_DEPLOYMENT rule: Western troops deployed, to be deployed, or offered for Ukraine."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from newswire.extract.cues import load_cues
from newswire.extract.gazetteer import GazetteerEntry
from newswire.extract.patterns import trigger_rule
from newswire.extract.rules.context import RuleOutcome, TriggerContext, make_outcome
from newswire.extract.rules.syntax import (
    clause_subtree,
    clause_verb,
    has_child,
    is_opinion_subject,
    resolve_pronoun,
    subject_actors,
    subjects_of,
    words,
)
from schemas.events import ActorKind, EventType

if TYPE_CHECKING:
    from spacy.tokens import Token

UKRAINE_ID = "Q212"

_SHARED = load_cues().shared
_CUES = load_cues().troop_deployment
_DEPLOY_VERBS = _CUES.deploy_verbs
_PERSONNEL = _CUES.personnel
_PRESENCE_NOUNS = _CUES.presence_nouns
_SPEAKING = _SHARED.speaking
_UKRAINE_CUES = _CUES.ukraine_cues


def _is_personnel(token: Token) -> bool:
    if token.lemma_.lower() not in _PERSONNEL and token.lower_ not in _PERSONNEL:
        return False
    return not (
        token.lemma_.lower() in ("force", "unit")
        and has_child(
            token, {"amod", "compound"}, {"air", "task", "driving", "labor", "labour", "police"}
        )
    )


def _personnel_in(tokens: Iterable[Token]) -> list[Token]:
    return [t for t in tokens if _is_personnel(t)]


@trigger_rule(EventType.TROOP_DEPLOYMENT, version=3)
def troop_deployment(ctx: TriggerContext) -> RuleOutcome | None:
    """Western troops deployed, to be deployed, or offered for Ukraine."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    personnel: list[Token]
    if trigger.pos_ in ("VERB", "AUX"):
        if lemma not in _DEPLOY_VERBS:
            return None
        objects = [
            t
            for t in trigger.subtree
            if t.dep_ in ("dobj", "nsubjpass", "pobj", "conj", "appos")
            and _is_personnel(t)
            and clause_verb(t).i == trigger.i
        ]
        if not objects and trigger.dep_ in ("relcl", "acl") and _is_personnel(trigger.head):
            objects = [trigger.head]
        if not objects and lemma in ("participate", "join", "lead"):
            objects = [
                ctx.doc[i]
                for i in clause_subtree(trigger, keep_relative=False)
                if ctx.doc[i].lemma_.lower() in ("force", "mission", "coalition", "contingent")
            ]
        if not objects:
            return None
        personnel = objects
        verb = trigger
    elif lemma in _PRESENCE_NOUNS:
        personnel = _personnel_in(trigger.subtree)
        if not personnel and lemma not in ("contingent",):
            return None
        verb = clause_verb(trigger)
    elif _is_personnel(trigger):
        head = trigger.head
        if trigger.lower_ in ("boots", "boot") and any(c.lower_ == "on" for c in trigger.children):
            pass
        elif not (
            (head.lemma_.lower() in _DEPLOY_VERBS and trigger.dep_ in ("dobj", "nsubjpass"))
            or (head.lemma_.lower() == "of" and head.head.lemma_.lower() in _PRESENCE_NOUNS)
            or has_child(
                trigger,
                {"amod", "compound"},
                {"reassurance", "peacekeeping", "stabilisation", "stabilization", "multinational"},
            )
        ):
            return None
        personnel = [trigger]
        verb = clause_verb(trigger)
    else:
        return None
    if any(is_opinion_subject(t) for t in [trigger, *list(trigger.ancestors)[:3]]):
        return None
    sentence_ids = {hit.entry.id for hit in ctx.actors}
    context_ids = {entry.id for entry in ctx.context_actors}
    sentence_words = words(ctx.doc)
    if (
        UKRAINE_ID not in sentence_ids
        and not (sentence_words & _UKRAINE_CUES)
        and UKRAINE_ID not in context_ids
    ):
        return None
    deployers: list[tuple[GazetteerEntry, str]] = []
    for noun in personnel:
        for child in noun.children:
            if child.dep_ in ("amod", "compound", "poss", "nmod"):
                deployers.extend(
                    (hit.entry, hit.text) for hit in ctx.actors_in(t.i for t in child.subtree)
                )
            if child.dep_ == "prep" and child.lower_ == "from":
                deployers.extend(
                    (hit.entry, hit.text) for hit in ctx.actors_in(t.i for t in child.subtree)
                )
    if trigger.pos_ not in ("VERB", "AUX") and lemma in _PRESENCE_NOUNS:
        for child in trigger.children:
            if child.dep_ in ("poss", "amod", "compound"):
                deployers.extend(
                    (hit.entry, hit.text) for hit in ctx.actors_in(t.i for t in child.subtree)
                )
    deployers.extend(subject_actors(ctx, verb))
    for token in ctx.doc:
        if token.lower_ in ("we", "our") and not deployers:
            entry = resolve_pronoun(ctx, token)
            if entry is not None:
                deployers.append((entry, token.text))
    if not deployers:
        deployers.extend(_speaker_actors(ctx, trigger))
    western = [(e, t) for e, t in deployers if e.western or _is_western_country(ctx, e)]
    if not western:
        return None
    return make_outcome(western, 0.8, "Ukraine")


def _speaker_actors(ctx: TriggerContext, trigger: Token) -> list[tuple[GazetteerEntry, str]]:
    """The subject of the speech verb that reports the trigger ("Macron said ... troops")."""
    for ancestor in trigger.ancestors:
        if ancestor.lemma_.lower() in _SPEAKING and ancestor.pos_ == "VERB":
            found: list[tuple[GazetteerEntry, str]] = []
            for subject in subjects_of(ancestor):
                hits = ctx.actors_in(t.i for t in subject.subtree)
                if hits:
                    found.extend((hit.entry, hit.text) for hit in hits)
                else:
                    entry = resolve_pronoun(ctx, subject)
                    if entry is not None:
                        found.append((entry, subject.text))
            return found
    return []


def _is_western_country(ctx: TriggerContext, entry: GazetteerEntry) -> bool:
    if entry.kind is ActorKind.COUNTRY:
        return entry.western
    if entry.country is None:
        return False
    return entry.country in ctx.western_countries
