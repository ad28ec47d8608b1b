"""Argument attachment from the dependency parse and the registered rule of each event type.

A rule receives one trigger (a token the lexicon matched) with the actors of its sentence and
returns the event's participants, or None when the trigger is not an event of that type (a
"call for" is not a phone call, "sanctions have taken a toll" is not a new sanction, Russian
troops are not a Western deployment, a rebuke of the press is not a diplomatic protest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newswire.extract.gazetteer import GazetteerEntry
from newswire.extract.patterns import trigger_rule
from schemas.events import ActorKind, EventType

Token = Any
Doc = Any

UKRAINE_ID = "Q212"
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her", "his"})
_GROUP_PRONOUNS = frozenset({"they", "them", "their", "we", "our", "us", "it", "its"})
_LATTER = frozenset({"latter", "former"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "agent", "csubj"})
_CONTROL_LINKS = frozenset(
    {"xcomp", "conj", "acomp", "pcomp", "pobj", "prep", "dobj", "attr", "oprd", "advcl", "npadvmod"}
)
_STOP_LINKS = frozenset({"ccomp", "relcl", "parataxis", "csubj"})


@dataclass(frozen=True, slots=True)
class ActorHit:
    """A gazetteer actor found in a sentence: its entry and token span."""

    entry: GazetteerEntry
    start: int
    end: int
    text: str
    root: int


@dataclass(slots=True)
class TriggerContext:
    """Everything a rule needs to decide one trigger."""

    doc: Doc
    trigger: Token
    event_type: EventType
    actors: Sequence[ActorHit]
    context_actors: Sequence[GazetteerEntry] = ()
    western_countries: frozenset[str] = frozenset()
    country_entries: Mapping[str, GazetteerEntry] = field(default_factory=dict)
    _by_token: dict[int, ActorHit] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for hit in self.actors:
            for index in range(hit.start, hit.end):
                self._by_token[index] = hit

    def actor_at(self, token: Token) -> ActorHit | None:
        """The actor covering a token, if any."""
        return self._by_token.get(token.i)

    def actors_in(self, indices: Iterable[int]) -> list[ActorHit]:
        """Actors whose root token lies in ``indices``, in sentence order, without repeats."""
        chosen = set(indices)
        return [hit for hit in self.actors if hit.root in chosen]


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What a rule found: the participants, where, and how sure it is."""

    actors: tuple[GazetteerEntry, ...]
    mentions: tuple[str, ...]
    confidence: float
    location: str | None = None


def clause_verb(token: Token) -> Token:
    """The nearest verb governing ``token`` (the token itself when it is a verb)."""
    current = token
    while current.pos_ not in ("VERB", "AUX") and current.head.i != current.i:
        current = current.head
    return current


def _subjects_of(verb: Token) -> list[Token]:
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
            subjects = _subjects_of(current)
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
            for subject in _subjects_of(ancestor):
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


def _dedupe(
    entries: Iterable[tuple[GazetteerEntry, str]],
) -> tuple[list[GazetteerEntry], list[str]]:
    seen: set[str] = set()
    out: list[GazetteerEntry] = []
    texts: list[str] = []
    for entry, text in entries:
        if entry.id not in seen:
            seen.add(entry.id)
            out.append(entry)
            texts.append(text)
    return out, texts


def _subject_actors(ctx: TriggerContext, trigger: Token) -> list[tuple[GazetteerEntry, str]]:
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


_COUNTRY_NOUNS = frozenset({"country", "government", "nation", "cabinet", "administration"})


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


def _words(tokens: Iterable[Token]) -> set[str]:
    return {t.lemma_.lower() for t in tokens} | {t.lower_ for t in tokens}


def _has_child(token: Token, deps: set[str], lemmas: set[str]) -> bool:
    return any(c.dep_ in deps and c.lemma_.lower() in lemmas for c in token.children)


def _outcome(
    pairs: Iterable[tuple[GazetteerEntry, str]], confidence: float, location: str | None = None
) -> RuleOutcome:
    entries, texts = _dedupe(pairs)
    return RuleOutcome(tuple(entries), tuple(texts), round(min(confidence, 0.97), 2), location)


def _country_of(entry: GazetteerEntry) -> str:
    return entry.country or entry.id


# LEADER_CONTACT ------------------------------------------------------------------------------

_CONTACT_STRONG = frozenset(
    {"call", "phone", "telephone", "meet", "meeting", "talk", "summit", "conversation", "host"}
)
_VISIT = frozenset({"visit", "travel", "fly", "trip"})
_NOT_A_CALL_PREPS = frozenset({"for", "on", "upon"})
_TIME_ANCHOR_PREPS = frozenset({"before", "until", "ahead", "prior"})
_STATE_CONTACTS = frozenset({"talk", "meet", "meeting", "negotiate", "negotiation", "confer"})
_EXCHANGED = frozenset(
    {
        "message",
        "letter",
        "view",
        "greeting",
        "call",
        "word",
        "pleasantry",
        "signal",
        "note",
        "idea",
        "opinion",
        "proposal",
        "position",
        "assessment",
    }
)
_DELEGATION_WORDS = frozenset(
    {"delegation", "negotiator", "envoy", "team", "official", "representative", "diplomat"}
)


@trigger_rule(EventType.LEADER_CONTACT, version=3)
def leader_contact(ctx: TriggerContext) -> RuleOutcome | None:
    """A call, meeting, talks or visit between two leaders or top envoys of different countries."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    if lemma == "call" and (
        _has_child(trigger, {"prep"}, {"for"})
        or (trigger.pos_ == "VERB" and _has_child(trigger, {"prep"}, set(_NOT_A_CALL_PREPS)))
        or _has_child(trigger, {"prt"}, {"off", "up", "in"})
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
        and _has_child(trigger, {"prep"}, {"about", "of"})
        and not _has_child(trigger, {"prep"}, {"with", "to"})
    ):
        return None
    if lemma == "exchange" and trigger.pos_ == "VERB":
        objects = {c.lemma_.lower() for c in trigger.children if c.dep_ == "dobj"}
        if objects and not objects & _EXCHANGED:
            return None  # prisoners, fire, bodies: not a conversation
    zone = argument_zone(trigger)
    pairs = [(hit.entry, hit.text) for hit in ctx.actors_in(zone)]
    pairs.extend(_subject_actors(ctx, trigger))
    people = [(e, t) for e, t in pairs if e.kind is ActorKind.PERSON]
    people_entries, people_texts = _dedupe(people)
    if len(people_entries) == 1:
        visitor = people_entries[0]
        if lemma in _VISIT:
            places = [
                (hit.entry, hit.text)
                for hit in ctx.actors_in(zone)
                if hit.entry.kind in (ActorKind.COUNTRY, ActorKind.INSTITUTION)
                and hit.entry.country != visitor.country
                and _is_destination(ctx.doc[hit.root])
            ]
            if places:
                return _outcome([(visitor, people_texts[0]), places[0]], 0.7)
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
            return _outcome([(visitor, people_texts[0]), foreign[0]], 0.65)
        return None
    countries = {_country_of(entry) for entry in people_entries}
    if len(people_entries) < 2 or len(countries) < 2:
        zone_words = _zone_words(ctx, zone)
        states = [
            (hit.entry, hit.text)
            for hit in ctx.actors_in(zone)
            if hit.entry.kind is ActorKind.COUNTRY and _names_a_delegation(ctx.doc[hit.root])
        ]
        state_entries, state_texts = _dedupe(states)
        if zone_words & _DELEGATION_WORDS and len(state_entries) >= 2 and not people_entries:
            return _outcome(zip(state_entries, state_texts, strict=True), 0.7)
        # "The United States and Ukraine held talks": states as the parties themselves.
        subjects = {t.i for s in controller_subjects(trigger) for t in [s, *s.conjuncts]}
        subject_states, subject_texts = _dedupe(
            (hit.entry, hit.text)
            for hit in ctx.actors
            if hit.root in subjects and hit.entry.kind is ActorKind.COUNTRY
        )
        if not people_entries and len(subject_states) >= 2 and lemma in _STATE_CONTACTS:
            return _outcome(zip(subject_states, subject_texts, strict=True), 0.7)
        return None
    confidence = 0.85 if lemma in _CONTACT_STRONG else 0.72
    return _outcome(zip(people_entries, people_texts, strict=True), confidence)


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


# CONFIDENTIAL_LEAK ---------------------------------------------------------------------------

_CONVERSATION_NOUNS = frozenset(
    {
        "conversation",
        "call",
        "exchange",
        "recording",
        "transcript",
        "tape",
        "audio",
        "talk",
        "discussion",
        "dialogue",
        "message",
        "cable",
        "phone",
        "conversations",
        "exchanges",
        "recordings",
    }
)
_PRIVATE_CUES = frozenset(
    {
        "private",
        "confidential",
        "secret",
        "classified",
        "leak",
        "leaked",
        "closed-door",
        "confidentiality",
        "intercepted",
        "privately",
    }
)
_RECORDS = frozenset({"transcript", "recording", "tape", "audio"})
_REVEALING = frozenset({"leak", "leaked", "expose", "divulge", "disclose", "reveal", "disclosure"})


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
    sentence_words = _words(ctx.doc)
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
    return _outcome(persons or people, confidence)


# TROOP_DEPLOYMENT ----------------------------------------------------------------------------

_PERSONNEL = frozenset(
    {
        "troop",
        "troops",
        "soldier",
        "force",
        "forces",
        "boot",
        "boots",
        "personnel",
        "instructor",
        "trainer",
        "peacekeeper",
        "serviceman",
        "servicemember",
        "contingent",
        "battalion",
        "brigade",
        "unit",
    }
)
_DEPLOY_VERBS = frozenset(
    {
        "send",
        "deploy",
        "dispatch",
        "station",
        "put",
        "commit",
        "contribute",
        "offer",
        "provide",
        "base",
        "post",
        "rotate",
        "pledge",
        "position",
        "participate",
        "join",
        "lead",
        "train",
    }
)
_PRESENCE_NOUNS = frozenset({"deployment", "presence", "dispatch", "mission", "contingent"})
_UKRAINE_CUES = frozenset(
    {"reassurance", "coalition", "guarantee", "guarantees", "ceasefire", "peacekeeping"}
)


def _is_personnel(token: Token) -> bool:
    if token.lemma_.lower() not in _PERSONNEL and token.lower_ not in _PERSONNEL:
        return False
    return not (
        token.lemma_.lower() in ("force", "unit")
        and _has_child(
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
            or _has_child(
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
    if any(_is_opinion_subject(t) for t in [trigger, *list(trigger.ancestors)[:3]]):
        return None
    sentence_ids = {hit.entry.id for hit in ctx.actors}
    context_ids = {entry.id for entry in ctx.context_actors}
    sentence_words = _words(ctx.doc)
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
    deployers.extend(_subject_actors(ctx, verb))
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
    return _outcome(western, 0.8, "Ukraine")


_SPEAKING = frozenset(
    {"say", "tell", "announce", "state", "add", "insist", "suggest", "warn", "argue", "write"}
)
_EVALUATIVE = frozenset(
    {
        "be",
        "constitute",
        "mean",
        "represent",
        "see",
        "consider",
        "regard",
        "pose",
        "amount",
        "become",
        "count",
        "provoke",
        "trigger",
        "risk",
        "escalate",
        "view",
    }
)


def _is_opinion_subject(token: Token) -> bool:
    """Whether a token is judged rather than reported ("any deployment would be seen as ...")."""
    if token.dep_ not in ("nsubj", "nsubjpass"):
        return False
    head = token.head
    return head.lemma_.lower() in _EVALUATIVE and any(
        c.dep_ == "aux" and c.lower_ in ("would", "could", "might", "will") for c in head.children
    )


def _speaker_actors(ctx: TriggerContext, trigger: Token) -> list[tuple[GazetteerEntry, str]]:
    """The subject of the speech verb that reports the trigger ("Macron said ... troops")."""
    for ancestor in trigger.ancestors:
        if ancestor.lemma_.lower() in _SPEAKING and ancestor.pos_ == "VERB":
            found: list[tuple[GazetteerEntry, str]] = []
            for subject in _subjects_of(ancestor):
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


# DIPLOMATIC_PROTEST --------------------------------------------------------------------------

_LIGHT_VERBS = frozenset({"issue", "lodge", "deliver", "voice", "express", "send", "file", "hand"})
_ENVOY_NOUNS = frozenset(
    {"ambassador", "envoy", "chargé", "charge", "diplomat", "representative", "attaché"}
)
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
        protesters.extend(_subject_actors(ctx, trigger))
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
            protesters.extend(_subject_actors(ctx, verb))
    protesters = [(e, t) for e, t in protesters if e.kind in _OFFICIAL_KINDS]
    if not protesters:
        return None
    protester_countries = {_country_of(e) for e, _ in protesters}
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
        if e.kind in _OFFICIAL_KINDS and _country_of(e) not in protester_countries
    ]
    if not targets:
        return None
    first_country = _country_of(targets[0][0])
    targets = [(e, t) for e, t in targets if _country_of(e) == first_country]
    confidence = 0.7 if lemma in ("accuse", "criticism", "criticize", "criticise") else 0.85
    return _outcome([*protesters, *targets[:2]], confidence)


_TARGET_PREPS = frozenset({"against", "at", "on", "over", "toward", "towards", "of"})


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


# SANCTIONS_OR_ASSETS -------------------------------------------------------------------------

_IMPOSE_VERBS = frozenset(
    {
        "impose",
        "adopt",
        "approve",
        "announce",
        "unveil",
        "agree",
        "extend",
        "expand",
        "slap",
        "introduce",
        "renew",
        "prolong",
        "tighten",
        "lift",
        "ease",
        "levy",
        "enforce",
        "endorse",
        "sign",
        "pass",
        "finalize",
        "finalise",
        "roll",
        "prepare",
        "propose",
        "present",
        "target",
        "hit",
        "back",
        "draw",
        "block",
        "veto",
        "launch",
        "add",
        "apply",
        "relax",
        "waive",
        "suspend",
        "consider",
        "push",
        "plan",
        "decide",
        "vote",
        "threaten",
        "seek",
    }
)
_ASSET_VERBS = frozenset(
    {
        "freeze",
        "seize",
        "confiscate",
        "expropriate",
        "use",
        "tap",
        "immobilize",
        "immobilise",
        "unfreeze",
        "release",
        "transfer",
        "channel",
        "lend",
        "mobilize",
        "mobilise",
        "unlock",
        "redirect",
    }
)
_FINANCIAL = frozenset(
    {
        "asset",
        "fund",
        "reserve",
        "yacht",
        "property",
        "account",
        "money",
        "profit",
        "billion",
        "bank",
        "tanker",
        "vessel",
        "estate",
        "share",
        "holding",
        "deposit",
    }
)
_SPECIFIC = frozenset(
    {"new", "fresh", "latest", "additional", "further", "tougher", "sweeping", "first", "next"}
)
_SANCTION_NOUNS = frozenset({"sanction", "embargo", "package", "ban", "cap", "blacklist"})


_ASSET_NOUNS = frozenset(
    {"use", "seizure", "confiscation", "expropriation", "freezing", "transfer", "release"}
)


def _beneficiary_tokens(doc: Doc, trigger: Token) -> set[int]:
    """Tokens of "to Ukraine" / "for Kyiv" phrases: who receives the money is not a party."""
    found: set[int] = set()
    for token in doc:
        if token.dep_ == "prep" and token.lower_ in ("to", "for") and token.i != trigger.i:
            found.update(t.i for t in token.subtree)
    return found


def _asset_object(trigger: Token) -> bool:
    return any(
        t.lemma_.lower() in _FINANCIAL or t.lower_ in ("assets", "funds", "reserves")
        for t in trigger.subtree
        if t.i != trigger.i
    )


@trigger_rule(EventType.SANCTIONS_OR_ASSETS, version=2)
def sanctions_or_assets(ctx: TriggerContext) -> RuleOutcome | None:
    """Sanctions imposed or announced; Russian sovereign assets frozen, seized or used."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    specific = False
    if trigger.pos_ in ("VERB", "AUX"):
        if lemma in ("sanction", "blacklist", "embargo"):
            specific = True
        elif lemma in _ASSET_VERBS or lemma in ("ban",):
            if lemma != "ban" and not _asset_object(trigger):
                return None
            specific = True
        elif lemma == "frozen":
            return None
        else:
            return None
        verb = trigger
    else:
        verb = clause_verb(trigger)
        path = [trigger]
        for ancestor in trigger.ancestors:
            path.append(ancestor)
            if ancestor.dep_ in ("relcl", "acl", "advcl", "ccomp", "parataxis") or len(path) > 5:
                break
        governing = {t.lemma_.lower() for t in path if t.pos_ in ("VERB", "AUX")}
        governing |= {t.lemma_.lower() for t in path if t.lemma_.lower() in _ASSET_NOUNS}
        if lemma in (
            "asset",
            "reserve",
            "loan",
            "freeze",
            "confiscation",
            "expropriation",
            "seizure",
        ):
            if lemma in ("asset", "reserve") and not (
                governing & (_ASSET_VERBS | _ASSET_NOUNS)
                or _has_child(
                    trigger, {"amod"}, {"frozen", "immobilized", "immobilised", "sovereign"}
                )
            ):
                return None
            if lemma == "loan" and not (
                _has_child(trigger, {"compound", "amod"}, {"reparation", "reparations"})
            ):
                return None
            specific = bool(governing & (_ASSET_VERBS | _IMPOSE_VERBS))
        elif lemma in _SANCTION_NOUNS or trigger.lower_ in ("sanctions",):
            if lemma in ("package", "cap", "ban") and not any(
                t.lemma_.lower() in ("sanction", "price", "oil", "import", "export", "embargo")
                for t in trigger.children
            ):
                return None
            if (
                not (governing & _IMPOSE_VERBS)
                and not _has_child(trigger, {"amod", "nummod"}, set(_SPECIFIC))
                and not any(c.tag_ == "JJ" and c.lower_.endswith("th") for c in trigger.children)
            ) and trigger.dep_ != "nsubjpass":
                return None
            specific = bool(governing & _IMPOSE_VERBS) or _has_child(
                trigger, {"amod"}, set(_SPECIFIC)
            )
        else:
            return None
    imposers = _subject_actors(ctx, verb)
    if trigger.pos_ not in ("VERB", "AUX"):
        for child in trigger.children:
            if child.dep_ in ("poss", "compound", "amod") or (
                child.dep_ == "prep" and child.lower_ in ("by", "from")
            ):
                imposers.extend(
                    (hit.entry, hit.text) for hit in ctx.actors_in(t.i for t in child.subtree)
                )
    zone = argument_zone(trigger) - _beneficiary_tokens(ctx.doc, trigger)
    targets = [(hit.entry, hit.text) for hit in ctx.actors_in(zone)]
    pairs = [*imposers, *targets]
    if not pairs:
        return None
    if not imposers and not specific:
        return None
    return _outcome(pairs[:4], 0.8 if imposers else 0.65)


# MILITARY_ACTION -----------------------------------------------------------------------------

_MILITARY_NOUNS = frozenset(
    {
        "force",
        "troop",
        "army",
        "artillery",
        "drone",
        "missile",
        "team",
        "unit",
        "aircraft",
        "jet",
        "navy",
        "military",
        "soldier",
        "brigade",
        "battalion",
        "warplane",
        "bomber",
        "rocket",
        "shell",
        "tank",
        "fighter",
        "infantry",
        "paratrooper",
        "marine",
        "assault",
        "airstrike",
        "strike",
        "defence",
        "defense",
    }
)
_PLACE_NOUNS = frozenset(
    {
        "region",
        "village",
        "town",
        "city",
        "settlement",
        "oblast",
        "front",
        "position",
        "infrastructure",
        "base",
        "depot",
        "port",
        "airfield",
        "bridge",
        "plant",
        "facility",
        "refinery",
        "grid",
        "district",
        "territory",
        "line",
        "sector",
        "area",
        "outskirts",
        "capital",
    }
)
_NOT_MILITARY_OBJECTS = frozenset(
    {
        "deal",
        "agreement",
        "balance",
        "tone",
        "chord",
        "note",
        "bargain",
        "compromise",
        "record",
        "target",
        "nerve",
        "part",
    }
)
_LAUNCHING = frozenset(
    {
        "launch",
        "carry",
        "conduct",
        "mount",
        "deliver",
        "stage",
        "unleash",
        "press",
        "step",
        "begin",
        "continue",
        "intensify",
        "halt",
        "stop",
        "suspend",
        "resume",
        "fire",
        "make",
    }
)
_CRITICISING = frozenset(
    {
        "condemn",
        "criticize",
        "criticise",
        "denounce",
        "slam",
        "deplore",
        "decry",
        "blame",
        "call",
        "describe",
        "term",
        "label",
        "dismiss",
        "deny",
        "reject",
        "discuss",
    }
)


_SPORT = frozenset(
    {
        "goal",
        "match",
        "friendly",
        "league",
        "cup",
        "penalty",
        "striker",
        "goalkeeper",
        "tournament",
        "championship",
        "qualifier",
        "football",
        "soccer",
        "tennis",
        "stadium",
        "fixture",
        "scorer",
    }
)
_PLACE_PREPS = frozenset(
    {"in", "near", "on", "at", "into", "of", "outside", "around", "toward", "towards", "across"}
)


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


_ACTION_NOUNS = frozenset(
    {
        "strike",
        "attack",
        "assault",
        "offensive",
        "barrage",
        "bombardment",
        "shelling",
        "raid",
        "airstrike",
        "counteroffensive",
        "incursion",
    }
)
_CIRCUMSTANCE_PREPS = frozenset(
    {"during", "after", "before", "amid", "following", "since", "despite", "ahead", "until"}
)
_GENERIC = frozenset(
    {
        "daily",
        "constant",
        "regular",
        "frequent",
        "relentless",
        "nightly",
        "routine",
        "persistent",
        "ongoing",
        "continuous",
        "continual",
        "incessant",
        "sporadic",
    }
)
_TAKE_OBJECTS = frozenset(
    {"control", "position", "village", "town", "city", "settlement", "territory"}
)
_LAUNCH_OBJECTS = frozenset(
    {
        "strike",
        "attack",
        "offensive",
        "missile",
        "drone",
        "assault",
        "counteroffensive",
        "raid",
        "barrage",
        "rocket",
    }
)


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
        or _has_child(trigger, {"prt"}, {"at"})
    ):
        return None
    if lemma in ("seize", "capture") and _asset_object(trigger):
        return None
    if lemma == "attack" and any(
        (hit := ctx.actor_at(o)) is not None and hit.entry.kind is ActorKind.PERSON for o in objects
    ):
        return None
    if (
        lemma == "strike"
        and trigger.pos_ == "NOUN"
        and _has_child(
            trigger,
            {"compound", "amod"},
            {"general", "labor", "labour", "worker", "hunger", "rail"},
        )
    ):
        return None
    if _has_child(trigger, {"amod", "advmod"}, set(_GENERIC)) or (
        trigger.dep_ in ("nsubj", "attr")
        and trigger.head.lemma_.lower() in ("remain", "be")
        and _words(ctx.doc) & _GENERIC
    ):
        return None
    zone = argument_zone(trigger)
    zone_tokens = [ctx.doc[i] for i in sorted(zone)]
    attackers: list[tuple[GazetteerEntry, str]] = []
    needs_target = False
    if trigger.pos_ in ("VERB", "AUX"):
        attackers.extend(_subject_actors(ctx, trigger))
    elif trigger.head.lemma_.lower() in _LAUNCHING and trigger.dep_ in ("dobj", "nsubjpass"):
        attackers.extend(_subject_actors(ctx, trigger.head))
    if _is_opinion_subject(trigger) or _words(ctx.doc) & _SPORT:
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
            for e, t in _subject_actors(ctx, trigger)
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
    return _outcome(pairs[:4], 0.75 if attackers else 0.6, location)
