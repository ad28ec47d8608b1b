"""Dependency-parse helpers shared by the rules: clause verbs, subjects, argument zones, pronouns.

They only read the parse (``dep_``, ``head``, ``children``, lemmas); the words they look for
(pronouns, "the latter", "his country", speech and evaluative verbs, financial nouns) are the
``shared`` section of ``data/cues.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from newswire.extract.cues import load_cues
from newswire.extract.gazetteer import GazetteerEntry
from newswire.extract.rules.context import TriggerContext
from schemas.events import ActorKind

if TYPE_CHECKING:
    from spacy.tokens import Token

_SHARED = load_cues().shared
_PERSON_PRONOUNS = _SHARED.person_pronouns
_GROUP_PRONOUNS = _SHARED.group_pronouns
_LATTER = _SHARED.latter
_COUNTRY_NOUNS = _SHARED.country_nouns
_EVALUATIVE = _SHARED.evaluative
_FINANCIAL = _SHARED.financial

_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "agent", "csubj"})


def clause_verb(token: Token) -> Token:
    """The nearest verb governing ``token`` (the token itself when it is a verb)."""
    current = token
    while current.pos_ not in ("VERB", "AUX") and current.head.i != current.i:
        current = current.head
    return current


def subjects_of(verb: Token) -> list[Token]:
    """The subjects of ``verb`` (a passive's agent included) and their conjuncts."""
    found: list[Token] = []
    for child in verb.children:
        if child.dep_ in _SUBJECT_DEPS:
            if child.dep_ == "agent":
                found.extend(g for g in child.children if g.dep_ == "pobj")
            else:
                found.append(child)
    for subject in list(found):
        found.extend(conj for conj in subject.conjuncts)
    return found


def controller_subjects(token: Token) -> list[Token]:
    """Subjects of ``token``'s clause, climbing through control and prepositional links.

    "Estonia is prepared to send troops": the subject of "send" is Estonia. A clause with its
    own subject stops the climb; a relative clause's subject is its antecedent ("Zelenskiy, who
    met Macron"); a clause without a subject is controlled by the clause above it.
    """
    current = token
    for _ in range(8):
        if current.pos_ in ("VERB", "AUX"):
            subjects = subjects_of(current)
            if subjects and all(s.tag_ in ("WP", "WDT") for s in subjects):
                return [current.head] if current.dep_ in ("relcl", "acl") else []
            if subjects:
                return subjects
        if current.dep_ == "relcl" and current.pos_ in ("VERB", "AUX"):
            return [current.head]
        if current.dep_ == "acl" and current.pos_ in ("VERB", "AUX") and current.tag_ != "VB":
            return [current.head]  # "sanctions imposed on Russia"; "plans to send" climbs on
        if current.dep_ == "parataxis" or current.head.i == current.i:
            return []
        current = current.head
    return []


_CLAUSE_DEPS = frozenset({"advcl", "ccomp", "xcomp", "parataxis", "pcomp", "csubj"})


def clause_subtree(token: Token, *, keep_relative: bool) -> set[int]:
    """``token`` and its dependents, without embedded clauses (nor conjoined verbs).

    "Orbán met Xi, days after holding talks with Putin": Putin is not a participant of "met".
    A noun trigger keeps its relative clause ("the conversation that happened between ...").
    """
    found: set[int] = set()
    stack = [token]
    while stack:
        current = stack.pop()
        found.add(current.i)
        for child in current.children:
            if child.dep_ in _CLAUSE_DEPS:
                continue
            if child.dep_ in ("relcl", "acl") and not (keep_relative and current.i == token.i):
                continue
            if child.dep_ == "conj" and child.pos_ in ("VERB", "AUX"):
                continue
            if child.dep_ == "prep" and any(g.dep_ == "pcomp" for g in child.children):
                continue
            stack.append(child)
    return found


def argument_zone(trigger: Token) -> set[int]:
    """Token indices that may hold the trigger's participants."""
    is_verb = trigger.pos_ in ("VERB", "AUX")
    zone = clause_subtree(trigger, keep_relative=not is_verb)
    if trigger.dep_ in ("amod", "compound") and trigger.pos_ in ("VERB", "ADJ"):
        zone |= clause_subtree(trigger.head, keep_relative=True)
    for subject in controller_subjects(trigger):
        zone |= clause_subtree(subject, keep_relative=False)
    verb = clause_verb(trigger)
    if verb.i != trigger.i:
        for child in verb.children:
            if child.dep_ in ("dobj", "dative", "attr") or (
                child.dep_ == "prep"
                and child.lower_ in ("with", "between", "to", "against", "over", "for", "on", "in")
            ):
                zone |= clause_subtree(child, keep_relative=False)
    return zone


def resolve_pronoun(ctx: TriggerContext, token: Token) -> GazetteerEntry | None:
    """The actor a pronoun or "the latter" stands for, from the sentence or the article so far."""
    lower = token.lower_
    if lower in _LATTER:
        before = [hit for hit in ctx.actors if hit.end <= token.i]
        if before:
            return (before[-1] if lower == "latter" else before[0]).entry
        return None
    wants_person = lower in _PERSON_PRONOUNS
    if not wants_person and lower not in _GROUP_PRONOUNS:
        return None
    for ancestor in token.ancestors:
        if ancestor.pos_ == "VERB":
            for subject in subjects_of(ancestor):
                if subject.i == token.i:
                    continue
                # "The Estonian government has decided ... we will participate"
                for hit in ctx.actors_in(clause_subtree(subject, keep_relative=False)):
                    if (hit.entry.kind is ActorKind.PERSON) == wants_person:
                        return hit.entry
    for hit in reversed([h for h in ctx.actors if h.end <= token.i]):
        if (hit.entry.kind is ActorKind.PERSON) == wants_person:
            return hit.entry
    for entry in reversed(ctx.context_actors):
        if (entry.kind is ActorKind.PERSON) == wants_person:
            return entry
    return None


def subject_actors(ctx: TriggerContext, trigger: Token) -> list[tuple[GazetteerEntry, str]]:
    """The actors (or resolved pronouns and "the government") among the trigger's subjects."""
    found: list[tuple[GazetteerEntry, str]] = []
    for subject in controller_subjects(trigger):
        hits = ctx.actors_in(t.i for t in subject.subtree)
        if hits:
            found.extend((hit.entry, hit.text) for hit in hits)
            continue
        entry = resolve_pronoun(ctx, subject) or resolve_own_country(ctx, subject)
        if entry is not None:
            found.append((entry, subject.text))
    return found


def resolve_own_country(ctx: TriggerContext, token: Token) -> GazetteerEntry | None:
    """The country meant by "his country" or "the government" (the possessor's, or the context's)."""
    if token.lemma_.lower() not in _COUNTRY_NOUNS:
        return None
    owner: GazetteerEntry | None = None
    for child in token.children:
        if child.dep_ == "poss":
            hit = ctx.actor_at(child)
            owner = hit.entry if hit is not None else resolve_pronoun(ctx, child)
    if owner is None and any(c.dep_ == "det" for c in token.children):
        owner = next((e for e in reversed(ctx.context_actors) if e.country), None) or next(
            (hit.entry for hit in ctx.actors if hit.entry.country), None
        )
    if owner is None or owner.country is None:
        return None
    if owner.kind is ActorKind.COUNTRY:
        return owner
    return ctx.country_entries.get(owner.country)


def words(tokens: Iterable[Token]) -> set[str]:
    """The lemmas and lower-cased forms of ``tokens``."""
    return {t.lemma_.lower() for t in tokens} | {t.lower_ for t in tokens}


def has_child(token: Token, deps: set[str], lemmas: set[str]) -> bool:
    """Whether ``token`` has a child with one of ``deps`` whose lemma is one of ``lemmas``."""
    return any(c.dep_ in deps and c.lemma_.lower() in lemmas for c in token.children)


def is_opinion_subject(token: Token) -> bool:
    """Whether a token is judged rather than reported ("any deployment would be seen as ...")."""
    if token.dep_ not in ("nsubj", "nsubjpass"):
        return False
    head = token.head
    return head.lemma_.lower() in _EVALUATIVE and any(
        c.dep_ == "aux" and c.lower_ in ("would", "could", "might", "will") for c in head.children
    )


def asset_object(trigger: Token) -> bool:
    """Whether money or assets hang off the trigger ("seized Russian assets")."""
    return any(
        t.lemma_.lower() in _FINANCIAL or t.lower_ in ("assets", "funds", "reserves")
        for t in trigger.subtree
        if t.i != trigger.i
    )
