"""The CONFIDENTIAL_LEAK rule: a private diplomatic conversation published, aired or leaked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newswire.extract.cues import load_cues
from newswire.extract.gazetteer import GazetteerEntry
from newswire.extract.patterns import trigger_rule
from newswire.extract.rules.context import RuleOutcome, TriggerContext, make_outcome
from newswire.extract.rules.syntax import (
    argument_zone,
    clause_subtree,
    resolve_pronoun,
    words,
)
from schemas.events import ActorKind, EventType

if TYPE_CHECKING:
    from spacy.tokens import Token

_CUES = load_cues().confidential_leak
_SHARED = load_cues().shared
_CONVERSATION_NOUNS = _CUES.conversation_nouns
_LATTER = _SHARED.latter
_PRIVATE_CUES = _CUES.private_cues
_RECORDS = _CUES.records
_REVEALING = _CUES.revealing


def _direct_arguments(trigger: Token) -> list[Token]:
    """The trigger and the tokens of its object and subject phrases (not of its clauses)."""
    found = [trigger]
    roots = [
        c
        for c in trigger.children
        if c.dep_ in ("dobj", "nsubjpass", "nsubj", "attr", "appos", "compound", "amod")
        or (c.dep_ == "prep" and c.lower_ in ("of", "between", "with"))
    ]
    if trigger.dep_ in ("amod", "compound", "acl", "relcl") and trigger.pos_ in ("VERB", "ADJ"):
        roots.append(trigger.head)
    for root in roots:
        stack = [root]
        while stack:
            token = stack.pop()
            found.append(token)
            stack.extend(
                c for c in token.children if c.dep_ not in ("ccomp", "advcl", "relcl", "xcomp")
            )
    return found


@trigger_rule(EventType.CONFIDENTIAL_LEAK, version=3)
def confidential_leak(ctx: TriggerContext) -> RuleOutcome | None:
    """A private diplomatic conversation published, aired or leaked."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    zone = argument_zone(trigger)
    zone_tokens = [ctx.doc[i] for i in sorted(zone)]
    sentence_words = words(ctx.doc)
    conversation = [
        t
        for t in _direct_arguments(trigger)
        if t.lemma_.lower() in _CONVERSATION_NOUNS and t.pos_ in ("NOUN", "PROPN")
    ]
    records = {t.lemma_.lower() for t in conversation} & _RECORDS
    if lemma not in ("leak", "leaked"):
        if not conversation:
            return None
        if lemma in _RECORDS and not (sentence_words & _PRIVATE_CUES):
            return None
        if lemma not in _REVEALING and not records and not (sentence_words & _PRIVATE_CUES):
            return None
    pairs: list[tuple[GazetteerEntry, str]] = []
    for noun in conversation:
        pairs.extend(
            (hit.entry, hit.text) for hit in ctx.actors_in(clause_subtree(noun, keep_relative=True))
        )
    if trigger.pos_ in ("VERB", "AUX") or conversation[1:]:
        pairs.extend((hit.entry, hit.text) for hit in ctx.actors_in(zone))
    for token in zone_tokens:
        if token.lower_ in _LATTER:
            entry = resolve_pronoun(ctx, token)
            if entry is not None:
                pairs.append((entry, token.text))
    people = [(e, t) for e, t in pairs if e.kind in (ActorKind.PERSON, ActorKind.COUNTRY)]
    if not people:
        return None
    persons = [p for p in people if p[0].kind is ActorKind.PERSON]
    if lemma in ("leak", "leaked") and not conversation and len(persons) < 2:
        return None
    confidence = 0.85 if lemma in _REVEALING else 0.75
    return make_outcome(persons or people, confidence)
