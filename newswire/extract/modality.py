"""Modality of an event from its trigger's dependency context.

Walks from the trigger up to the sentence root and reads the cues attached along the way:
negation and negating verbs ("ruled out", "denied"), conditional clauses and modal or
speculative verbs (hypothetical), future auxiliaries and planning verbs (planned), hedges and
attribution to a third party (reported). Works on spaCy tokens, so it is typed loosely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from schemas.events import Modality

Token = Any

NEGATING_VERBS = frozenset(
    {
        "deny",
        "reject",
        "refuse",
        "decline",
        "dismiss",
        "rebuff",
        "cancel",
        "scrap",
        "exclude",
        "oppose",
        "fail",
        "abandon",
        "postpone",
        "shelve",
        "rule",  # only with the particle "out"
        "call",  # only with the particle "off"
        "drop",
        "halt",
        "stop",
        "cease",
        "suspend",
        "pause",
        "block",
        "veto",
        "avoid",
    }
)
_NEGATING_PARTICLE = {"rule": "out", "call": "off"}
NEGATING_WORDS = frozenset({"not", "n't", "never", "no", "without", "neither", "nor"})
HYPOTHETICAL_VERBS = frozenset(
    {
        "consider",
        "mull",
        "weigh",
        "contemplate",
        "explore",
        "envisage",
        "envision",
        "float",
        "threaten",
        "propose",
        "suggest",
        "urge",
        "demand",
        "ask",
        "seek",
        "want",
        "hope",
        "wish",
        "press",
        "push",
        "lobby",
        "study",
        "examine",
        "discuss",
        "debate",
        "speculate",
        "imagine",
        "talk",
        "offer",
    }
)
HYPOTHETICAL_WORDS = frozenset(
    {
        "prepared",
        "ready",
        "willing",
        "open",
        "possible",
        "possibility",
        "prospect",
        "option",
        "idea",
        "proposal",
        "scenario",
        "potential",
        "potentially",
        "hypothetical",
        "perhaps",
        "maybe",
        "conditional",
        "condition",
        "eventual",
        "if",
        "unless",
        "whether",
    }
)
HYPOTHETICAL_MODALS = frozenset({"could", "might", "may", "should", "must", "can", "ought"})
PLANNING_VERBS = frozenset(
    {
        "plan",
        "intend",
        "schedule",
        "expect",
        "aim",
        "prepare",
        "pledge",
        "promise",
        "commit",
        "agree",
        "decide",
        "arrange",
        "organize",
        "organise",
        "vow",
        "set",
        "due",
        "slate",
    }
)
PLANNING_WORDS = frozenset(
    {"upcoming", "planned", "scheduled", "forthcoming", "next", "future", "tomorrow", "plan"}
)
FUTURE_AUX = frozenset({"will", "shall", "'ll", "wo"})
HEDGE_WORDS = frozenset(
    {
        "reportedly",
        "allegedly",
        "purportedly",
        "supposedly",
        "apparently",
        "ostensibly",
        "rumoured",
        "rumored",
        "unconfirmed",
        "alleged",
        "purported",
    }
)
HEDGE_VERBS = frozenset(
    {"claim", "allege", "rumor", "rumour", "believe", "think", "understand", "report", "cite"}
)
DECISION_VERBS = frozenset({"agree", "decide", "vote", "approve", "adopt"})
LIGHT_VERBS = frozenset(
    {
        "have",
        "hold",
        "make",
        "take",
        "give",
        "be",
        "do",
        "get",
        "try",
        "begin",
        "start",
        "continue",
        "need",
        "help",
        "go",
        "come",
        "allow",
        "let",
        "keep",
        "use",
        "move",
        "join",
        "launch",
        "carry",
        "conduct",
        "deliver",
        "mount",
        "stage",
        "hope",
        "intend",
        "want",
        "present",
        "submit",
        "table",
        "draft",
        "unveil",
        "prepare",
        "put",
        "form",
    }
)
ATTRIBUTION_VERBS = frozenset(
    {
        "say",
        "tell",
        "report",
        "state",
        "assert",
        "insist",
        "reiterate",
        "note",
        "add",
        "write",
        "tweet",
        "post",
        "suggest",
        "quote",
        "cite",
        "argue",
        "maintain",
        "detail",
        "describe",
        "recount",
        "reaffirm",
    }
)
_UNREALISED = frozenset(
    {"implement", "happen", "materialize", "materialise", "occur", "proceed", "realize", "realise"}
)
DEBUNK_WORDS = frozenset(
    {
        "false",
        "falsely",
        "fake",
        "fabricated",
        "debunk",
        "debunked",
        "disinformation",
        "misinformation",
        "baseless",
        "hoax",
        "doctored",
        "unfounded",
        "untrue",
    }
)
_TEMPORAL_PREPS = frozenset(
    {"after", "before", "following", "since", "until", "ahead", "during", "amid", "despite"}
)
_NOMINAL_LINKS = frozenset({"dobj", "pobj", "nsubj", "nsubjpass", "attr", "dative", "oprd"})
_CLAUSE_BOUNDARIES = frozenset({"ccomp", "parataxis", "advcl", "relcl", "acl", "csubj"})


@dataclass(frozen=True, slots=True)
class ModalityReading:
    """The modality of one trigger and whether the event is announced for the future."""

    modality: Modality
    future: bool
    debunked: bool
    cues: tuple[str, ...]


def _has_particle(token: Token, particle: str) -> bool:
    return any(child.dep_ == "prt" and child.lower_ == particle for child in token.children)


def _is_negating_verb(token: Token) -> bool:
    lemma = token.lemma_.lower()
    if lemma not in NEGATING_VERBS or token.pos_ not in ("VERB", "AUX"):
        return False
    particle = _NEGATING_PARTICLE.get(lemma)
    return particle is None or _has_particle(token, particle)


def _negated_locally(token: Token) -> bool:
    for child in token.children:
        if child.dep_ == "neg":
            return True
        if child.dep_ in ("det", "advmod", "preconj") and child.lower_ in (
            "no",
            "never",
            "neither",
        ):
            return True
    return False


def _conditional(token: Token) -> bool:
    if token.dep_ == "advcl" and any(
        c.dep_ == "mark" and c.lower_ in ("if", "unless", "whether") for c in token.children
    ):
        return True
    for child in token.children:
        if child.dep_ in ("advcl", "ccomp", "csubj") and any(
            grandchild.dep_ == "mark" and grandchild.lower_ in ("if", "unless")
            for grandchild in child.children
        ):
            return True
        if child.dep_ == "mark" and child.lower_ in ("if", "unless", "whether"):
            return True
    return False


def _negated_sibling(token: Token) -> bool:
    """Whether a coordinated clause undoes the event ("agreed to meet, but that never happened")."""
    for child in token.children:
        if (
            child.dep_ == "conj"
            and child.lemma_.lower() in _UNREALISED
            and (_negated_locally(child) or any(_negated_locally(c) for c in child.children))
        ):
            return True
    return False


def _according_to(token: Token) -> bool:
    return any(
        child.dep_ == "prep"
        and child.lower_ == "according"
        and any(grandchild.lower_ == "to" for grandchild in child.children)
        for child in token.children
    )


def _subject_of(token: Token) -> Token | None:
    for child in token.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            return child
    return None


def _governs(previous: Token | None) -> bool:
    """Whether the path reached a framing verb through its complement, not through an adjunct.

    "agreed to meet" plans the meeting; "agreed in a call on Tuesday" does not plan the call.
    """
    if previous is None:
        return False
    if previous.dep_ == "prep":
        return previous.lower_ in ("for", "on", "about", "to", "over")
    return previous.dep_ in (
        "dobj",
        "xcomp",
        "ccomp",
        "nsubjpass",
        "pcomp",
        "oprd",
        "attr",
        "acomp",
        "conj",
    )


def frames_event(token: Token) -> bool:
    """Whether a verb frames another event (light, modal, speech verb) rather than being one."""
    return _frames(token)


def _frames(token: Token) -> bool:
    """Whether a verb frames the event (negates, plans, reports it) rather than being another event."""
    lemma = token.lemma_.lower()
    return (
        lemma in NEGATING_VERBS
        or lemma in HYPOTHETICAL_VERBS
        or lemma in PLANNING_VERBS
        or lemma in HEDGE_VERBS
        or lemma in ATTRIBUTION_VERBS
        or lemma in LIGHT_VERBS
        or lemma in DECISION_VERBS
        or lemma in ("confirm", "know", "expect", "seem", "appear", "warn", "announce", "fail")
    )


def read_modality(
    trigger: Token,
    speaker_is_party: Callable[[Token], bool],
    *,
    sentence_tokens: Iterable[Token] | None = None,
    decisions_are_events: bool = False,
) -> ModalityReading:
    """Read the modality of ``trigger`` from its ancestors and their dependents.

    ``speaker_is_party(subject_token)`` tells whether the subject of an attribution verb is one
    of the event's own actors (then "X said" endorses rather than reports). With
    ``decisions_are_events`` ("the EU agreed to impose sanctions"), a past decision is the
    event itself rather than a plan. The walk stops at a second content verb: in "denied that
    Macron leaked details of his call", the denial bears on the leak, not on the call.
    """
    cues: list[str] = []
    negated = hypothetical = planned = hedged = attributed = future = False
    would = False
    in_clause = True
    previous: Token | None = None
    path = [trigger, *trigger.ancestors]
    verbs_seen = 1 if trigger.pos_ in ("VERB", "AUX") else 0
    for position, token in enumerate(path):
        if (
            previous is not None
            and previous.dep_ in _CLAUSE_BOUNDARIES
            and not (previous.dep_ == "acl" and previous.tag_ == "VB")  # "no plans to meet"
        ):
            in_clause = False
        lemma = token.lemma_.lower()
        lower = token.lower_
        if position > 0 and (
            token.lower_ in _TEMPORAL_PREPS or (token.pos_ == "VERB" and token.dep_ == "prep")
        ):
            # "halted strikes following Putin's call": the call is a time anchor.
            path = path[:position]
            break
        if position > 0 and token.pos_ in ("VERB", "AUX") and previous is not None:
            verbs_seen += 1
            nested = previous.i != trigger.i and previous.dep_ in _NOMINAL_LINKS
            finite_conjunct = previous.dep_ == "conj" and previous.tag_ in ("VBD", "VBZ", "VBP")
            if (nested and not _frames(token)) or finite_conjunct:
                # The trigger sits inside another event's object ("leaked details of his
                # call") or in its own finite conjunct: that event's modality is not ours.
                path = path[:position]
                break
        if (
            decisions_are_events
            and position > 0
            and lemma in DECISION_VERBS
            and token.tag_ in ("VBD", "VBN")
        ):
            previous = token
            continue
        if _is_negating_verb(token) and token.i != trigger.i:
            if _negated_locally(token):
                hypothetical = True
                cues.append(f"not {lemma}")
            else:
                negated = True
                cues.append(lemma)
        elif _negated_locally(token):
            if in_clause or (token.pos_ == "NOUN" and previous is not None):  # "no plans for"
                negated = True
                cues.append("neg")
            elif lemma in ATTRIBUTION_VERBS or lemma in ("confirm", "know"):
                hedged = True
                cues.append(f"not {lemma}")
        if _conditional(token):
            hypothetical = True
            cues.append("if")
        pressing_for = lemma not in ("press", "push") or any(
            c.dep_ == "prep" and c.lower_ == "for" for c in token.children
        )
        if (
            token.i != trigger.i
            and lemma in HYPOTHETICAL_VERBS
            and token.pos_ == "VERB"
            and pressing_for
            and _governs(previous)
        ):
            hypothetical = True
            cues.append(lemma)
        if lower in HYPOTHETICAL_WORDS and token.i != trigger.i:
            if token.pos_ == "VERB" and any(
                c.lower_ in ("has", "have", "had") for c in token.children
            ):
                planned = True
                cues.append(f"has {lower}")
            else:
                hypothetical = True
                cues.append(lower)
        if _negated_sibling(token):
            negated = True
            cues.append("never happened")
        if (
            token.i != trigger.i
            and lemma in PLANNING_VERBS
            and token.pos_ in ("VERB", "ADJ")
            and _governs(previous)
        ):
            planned = True
            cues.append(lemma)
        if token.i != trigger.i and lower in PLANNING_WORDS:
            planned = True
            cues.append(lower)
        if token.i != trigger.i and lemma in HEDGE_VERBS and token.pos_ == "VERB":
            hedged = True
            cues.append(lemma)
        if _according_to(token):
            hedged = True
            cues.append("according to")
        if (
            (not in_clause or (previous is not None and previous.dep_ == "dobj"))
            and token.pos_ == "VERB"
            and lemma in ATTRIBUTION_VERBS
            and previous is not None
            and previous.dep_ in ("ccomp", "parataxis", "xcomp", "dobj")
        ):
            subject = _subject_of(token)
            if subject is None or not speaker_is_party(subject):
                attributed = True
                cues.append(lemma)
        if (
            token.tag_ == "VBN"
            and lemma
            in (
                "say",
                "report",
                "believe",
                "think",
                "rumor",
                "rumour",
            )
            and any(child.dep_ == "auxpass" for child in token.children)
        ):
            hedged = True
            cues.append(f"is {lower}")
        for child in token.children:
            if (
                child.dep_ in ("parataxis", "ccomp", "advcl")
                and child.pos_ == "VERB"
                and child.i > token.i
                and child.lemma_.lower() in ATTRIBUTION_VERBS | HEDGE_VERBS
                and not any(c.dep_ == "mark" for c in child.children)
            ):
                subject = _subject_of(child)
                if child.lemma_.lower() in HEDGE_VERBS:
                    hedged = True
                    cues.append(child.lemma_.lower())
                elif subject is not None and not speaker_is_party(subject):
                    attributed = True
                    cues.append(child.lemma_.lower())
            child_lower = child.lower_
            if child.dep_ in ("advmod", "amod", "npadvmod") and child_lower in HEDGE_WORDS:
                hedged = True
                cues.append(child_lower)
            if child.dep_ in ("amod", "advmod", "npadvmod") and child_lower in PLANNING_WORDS:
                planned = True
                cues.append(child_lower)
            if child.dep_ in ("amod", "advmod") and child_lower in HYPOTHETICAL_WORDS:
                hypothetical = True
                cues.append(child_lower)
            if child.dep_ == "aux" and in_clause:
                if child_lower in FUTURE_AUX:
                    future = True
                    cues.append("will")
                elif child_lower in ("would", "'d"):
                    would = True
                elif child_lower in HYPOTHETICAL_MODALS:
                    hypothetical = True
                    cues.append(child_lower)
            if (
                child.dep_ in ("xcomp",)
                and token.lemma_ == "go"
                and token.tag_ == "VBG"
                and in_clause
            ):
                future = True
        previous = token
    if would:
        reported_past = any(
            t.lemma_.lower() in ATTRIBUTION_VERBS | PLANNING_VERBS and t.tag_ == "VBD"
            for t in path[1:]
        )
        if reported_past:
            future = True
            cues.append("would (reported future)")
        else:
            hypothetical = True
            cues.append("would")
    tokens = list(sentence_tokens) if sentence_tokens is not None else []
    words = [t.lower_ for t in tokens]
    debunked = any(word in DEBUNK_WORDS for word in words)
    for index, token in enumerate(tokens[:-1]):
        if (
            token.lower_ == "according"
            and tokens[index + 1].lower_ == "to"
            and token.i > trigger.i
            and index > 0
            and tokens[index - 1].text == ","
        ):
            hedged = True
            cues.append("according to (sentence)")
    if negated:
        modality = Modality.NEGATED
    elif hypothetical:
        modality = Modality.HYPOTHETICAL
    elif hedged:
        modality = Modality.REPORTED
    elif planned or future:
        modality = Modality.PLANNED
    elif attributed:
        modality = Modality.REPORTED
    else:
        modality = Modality.ASSERTED
    return ModalityReading(modality, future or planned, debunked, tuple(cues))
