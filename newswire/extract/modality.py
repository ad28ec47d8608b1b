"""Modality of an event from its trigger's dependency context.

Walks from the trigger up to the sentence root and runs small cue detectors on each token and
its children: negation and negating verbs ("ruled out", "denied"), conditional clauses and
modal or speculative verbs (hypothetical), future auxiliaries and planning verbs (planned),
hedges and attribution to a third party (reported). Each detector returns the :class:`Cue` it
found, if any; :data:`PRECEDENCE` then decides the modality from the families that fired. The
cue words are the ``modality`` section of ``data/cues.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from newswire.extract.cues import load_cues
from schemas.events import Modality

if TYPE_CHECKING:
    from spacy.tokens import Token

_CUES = load_cues().modality
NEGATING_VERBS = _CUES.negating_verbs
_NEGATING_PARTICLE = _CUES.negating_particles
NEGATING_WORDS = _CUES.negating_words
HYPOTHETICAL_VERBS = _CUES.hypothetical_verbs
HYPOTHETICAL_WORDS = _CUES.hypothetical_words
HYPOTHETICAL_MODALS = _CUES.hypothetical_modals
PLANNING_VERBS = _CUES.planning_verbs
PLANNING_WORDS = _CUES.planning_words
FUTURE_AUX = _CUES.future_aux
HEDGE_WORDS = _CUES.hedge_words
HEDGE_VERBS = _CUES.hedge_verbs
DECISION_VERBS = _CUES.decision_verbs
LIGHT_VERBS = _CUES.light_verbs
ATTRIBUTION_VERBS = _CUES.attribution_verbs
_UNREALISED = _CUES.unrealised
DEBUNK_WORDS = _CUES.debunk_words
_TEMPORAL_PREPS = _CUES.temporal_preps
_PURPOSE_NOUNS = _CUES.purpose_nouns
_NOMINAL_LINKS = frozenset({"dobj", "pobj", "nsubj", "nsubjpass", "attr", "dative", "oprd"})
_CLAUSE_BOUNDARIES = frozenset({"ccomp", "parataxis", "advcl", "relcl", "acl", "csubj"})


class CueFamily(Enum):
    """What a cue says about the event."""

    NEGATED = "negated"
    HYPOTHETICAL = "hypothetical"
    HEDGED = "hedged"
    PLANNED = "planned"
    FUTURE = "future"
    ATTRIBUTED = "attributed"
    # Resolved after the walk: a reported future ("said it would") or a hypothetical.
    WOULD = "would"


PRECEDENCE: tuple[tuple[CueFamily, Modality], ...] = (
    (CueFamily.NEGATED, Modality.NEGATED),
    (CueFamily.HYPOTHETICAL, Modality.HYPOTHETICAL),
    (CueFamily.HEDGED, Modality.REPORTED),
    (CueFamily.PLANNED, Modality.PLANNED),
    (CueFamily.FUTURE, Modality.PLANNED),
    (CueFamily.ATTRIBUTED, Modality.REPORTED),
)
"""The first family that fired decides the modality; none fired: asserted.

A hedge ("reportedly") outranks a plan, but a plan outranks mere attribution: "Macron will
travel to Kyiv, his office said" is a planned trip, "Macron will reportedly travel" is reported.
"""


def decide_modality(families: Collection[CueFamily]) -> Modality:
    """The modality of the cue families that fired, by :data:`PRECEDENCE`."""
    for family, modality in PRECEDENCE:
        if family in families:
            return modality
    return Modality.ASSERTED


@dataclass(frozen=True, slots=True)
class Cue:
    """One cue that fired: its family and the word reported in ``ModalityReading.cues``."""

    family: CueFamily
    text: str | None = None


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


@dataclass(frozen=True, slots=True)
class _Step:
    """One token of the walk from the trigger up, with what the walk knows there."""

    token: Token
    previous: Token | None
    trigger: Token
    in_clause: bool
    speaker_is_party: Callable[[Token], bool]

    @property
    def lemma(self) -> str:
        return self.token.lemma_.lower()

    @property
    def is_trigger(self) -> bool:
        return self.token.i == self.trigger.i


def _negation(step: _Step) -> Cue | None:
    """A negating verb ("denied", "ruled out") or a local negation ("did not meet", "no plans")."""
    token, lemma = step.token, step.lemma
    if _is_negating_verb(token) and not step.is_trigger:
        if _negated_locally(token):
            return Cue(CueFamily.HYPOTHETICAL, f"not {lemma}")  # "would not rule out"
        return Cue(CueFamily.NEGATED, lemma)
    if _negated_locally(token):
        if step.in_clause or (token.pos_ == "NOUN" and step.previous is not None):
            return Cue(CueFamily.NEGATED, "neg")
        if lemma in ATTRIBUTION_VERBS or lemma in ("confirm", "know"):
            return Cue(CueFamily.HEDGED, f"not {lemma}")
    return None


def _conditional_clause(step: _Step) -> Cue | None:
    """An "if", "unless" or "whether" clause."""
    return Cue(CueFamily.HYPOTHETICAL, "if") if _conditional(step.token) else None


def _hypothetical_verb(step: _Step) -> Cue | None:
    """A speculative verb governing the event ("considering sending", "pressing for talks")."""
    token, lemma = step.token, step.lemma
    pressing_for = lemma not in ("press", "push") or any(
        c.dep_ == "prep" and c.lower_ == "for" for c in token.children
    )
    if (
        not step.is_trigger
        and lemma in HYPOTHETICAL_VERBS
        and token.pos_ == "VERB"
        and pressing_for
        and _governs(step.previous)
    ):
        return Cue(CueFamily.HYPOTHETICAL, lemma)
    return None


def _hypothetical_word(step: _Step) -> Cue | None:
    """A word of possibility on the path ("prepared to", "possible"); "has prepared" plans."""
    token, lower = step.token, step.token.lower_
    if lower not in HYPOTHETICAL_WORDS or step.is_trigger:
        return None
    if token.pos_ == "VERB" and any(c.lower_ in ("has", "have", "had") for c in token.children):
        return Cue(CueFamily.PLANNED, f"has {lower}")
    return Cue(CueFamily.HYPOTHETICAL, lower)


def _unrealised_sibling(step: _Step) -> Cue | None:
    """A coordinated clause saying the event never happened."""
    return Cue(CueFamily.NEGATED, "never happened") if _negated_sibling(step.token) else None


def _planning_verb(step: _Step) -> Cue | None:
    """A planning verb governing the event ("plans to adopt", "agreed to meet")."""
    token = step.token
    if (
        not step.is_trigger
        and step.lemma in PLANNING_VERBS
        and token.pos_ in ("VERB", "ADJ")
        and _governs(step.previous)
    ):
        return Cue(CueFamily.PLANNED, step.lemma)
    return None


def _planning_word(step: _Step) -> Cue | None:
    """A planning word on the path ("upcoming", "next")."""
    lower = step.token.lower_
    if not step.is_trigger and lower in PLANNING_WORDS:
        return Cue(CueFamily.PLANNED, lower)
    return None


def _hedge_verb(step: _Step) -> Cue | None:
    """A hedging verb on the path ("claimed", "believed")."""
    if not step.is_trigger and step.lemma in HEDGE_VERBS and step.token.pos_ == "VERB":
        return Cue(CueFamily.HEDGED, step.lemma)
    return None


def _according_to_phrase(step: _Step) -> Cue | None:
    """An "according to" phrase attached to the path."""
    return Cue(CueFamily.HEDGED, "according to") if _according_to(step.token) else None


def _attribution(step: _Step) -> Cue | None:
    """A speech verb above the event whose speaker is not one of the event's actors."""
    token, previous = step.token, step.previous
    if (
        (not step.in_clause or (previous is not None and previous.dep_ == "dobj"))
        and token.pos_ == "VERB"
        and step.lemma in ATTRIBUTION_VERBS
        and previous is not None
        and previous.dep_ in ("ccomp", "parataxis", "xcomp", "dobj")
    ):
        subject = _subject_of(token)
        if subject is None or not step.speaker_is_party(subject):
            return Cue(CueFamily.ATTRIBUTED, step.lemma)
    return None


def _passive_hedge(step: _Step) -> Cue | None:
    """A passive report ("is said to", "was believed")."""
    token = step.token
    if (
        token.tag_ == "VBN"
        and step.lemma in ("say", "report", "believe", "think", "rumor", "rumour")
        and any(child.dep_ == "auxpass" for child in token.children)
    ):
        return Cue(CueFamily.HEDGED, f"is {token.lower_}")
    return None


def _reporting_clause(step: _Step, child: Token) -> Cue | None:
    """A trailing speech or hedge clause ("..., officials said", "..., he claimed")."""
    if (
        child.dep_ in ("parataxis", "ccomp", "advcl")
        and child.pos_ == "VERB"
        and child.i > step.token.i
        and child.lemma_.lower() in ATTRIBUTION_VERBS | HEDGE_VERBS
        and not any(c.dep_ == "mark" for c in child.children)
    ):
        subject = _subject_of(child)
        if child.lemma_.lower() in HEDGE_VERBS:
            return Cue(CueFamily.HEDGED, child.lemma_.lower())
        if subject is not None and not step.speaker_is_party(subject):
            return Cue(CueFamily.ATTRIBUTED, child.lemma_.lower())
    return None


def _hedge_modifier(step: _Step, child: Token) -> Cue | None:
    """A hedging adverb or adjective ("reportedly", "alleged")."""
    if child.dep_ in ("advmod", "amod", "npadvmod") and child.lower_ in HEDGE_WORDS:
        return Cue(CueFamily.HEDGED, child.lower_)
    return None


def _planning_modifier(step: _Step, child: Token) -> Cue | None:
    """A planning modifier ("the planned visit", "tomorrow")."""
    if child.dep_ in ("amod", "advmod", "npadvmod") and child.lower_ in PLANNING_WORDS:
        return Cue(CueFamily.PLANNED, child.lower_)
    return None


def _hypothetical_modifier(step: _Step, child: Token) -> Cue | None:
    """A modifier of possibility ("a possible meeting", "perhaps")."""
    if child.dep_ in ("amod", "advmod") and child.lower_ in HYPOTHETICAL_WORDS:
        return Cue(CueFamily.HYPOTHETICAL, child.lower_)
    return None


def _auxiliary(step: _Step, child: Token) -> Cue | None:
    """An auxiliary of the clause: future ("will"), "would", or a modal ("could")."""
    if child.dep_ != "aux" or not step.in_clause:
        return None
    lower = child.lower_
    if lower in FUTURE_AUX:
        return Cue(CueFamily.FUTURE, "will")
    if lower in ("would", "'d"):
        return Cue(CueFamily.WOULD)
    if lower in HYPOTHETICAL_MODALS:
        return Cue(CueFamily.HYPOTHETICAL, lower)
    return None


def _going_to(step: _Step, child: Token) -> Cue | None:
    """A future without an auxiliary ("is going to meet")."""
    token = step.token
    if child.dep_ == "xcomp" and token.lemma_ == "go" and token.tag_ == "VBG" and step.in_clause:
        return Cue(CueFamily.FUTURE)
    return None


def _be_to(step: _Step) -> Cue | None:
    """A scheduled future without an auxiliary ("is to station", "are to meet")."""
    token, previous = step.token, step.previous
    if (
        step.in_clause
        and step.lemma == "be"
        and previous is not None
        and previous.dep_ == "xcomp"
        and previous.tag_ == "VB"
        and any(c.dep_ == "aux" and c.lower_ == "to" for c in previous.children)
        and not any(
            c.dep_ == "nsubj" and c.lemma_.lower() in _PURPOSE_NOUNS for c in token.children
        )
    ):
        return Cue(CueFamily.FUTURE, "is to")
    return None


_TOKEN_DETECTORS: tuple[Callable[[_Step], Cue | None], ...] = (
    _negation,
    _conditional_clause,
    _hypothetical_verb,
    _hypothetical_word,
    _unrealised_sibling,
    _planning_verb,
    _planning_word,
    _hedge_verb,
    _according_to_phrase,
    _attribution,
    _passive_hedge,
    _be_to,
)
_CHILD_DETECTORS: tuple[Callable[[_Step, Token], Cue | None], ...] = (
    _reporting_clause,
    _hedge_modifier,
    _planning_modifier,
    _hypothetical_modifier,
    _auxiliary,
    _going_to,
)


def _ends_walk(token: Token, previous: Token, trigger: Token) -> bool:
    """Whether the walk leaves the event's own context at ``token`` (not the trigger itself)."""
    if token.lower_ in _TEMPORAL_PREPS or (token.pos_ == "VERB" and token.dep_ == "prep"):
        # "halted strikes following Putin's call": the call is a time anchor.
        return True
    if token.pos_ in ("VERB", "AUX"):
        nested = previous.i != trigger.i and previous.dep_ in _NOMINAL_LINKS
        finite_conjunct = previous.dep_ == "conj" and previous.tag_ in ("VBD", "VBZ", "VBP")
        # The trigger sits inside another event's object ("leaked details of his call") or in
        # its own finite conjunct: that event's modality is not ours.
        return (nested and not _frames(token)) or finite_conjunct
    return False


def _would(path: list[Token]) -> Cue:
    """A reported future after a past speech or planning verb ("said it would"), else hypothetical."""
    reported_past = any(
        t.lemma_.lower() in ATTRIBUTION_VERBS | PLANNING_VERBS and t.tag_ == "VBD" for t in path[1:]
    )
    if reported_past:
        return Cue(CueFamily.FUTURE, "would (reported future)")
    return Cue(CueFamily.HYPOTHETICAL, "would")


def _sentence_according_to(tokens: list[Token], trigger: Token) -> list[Cue]:
    """A ", according to ..." after the trigger, wherever the parser attached it."""
    return [
        Cue(CueFamily.HEDGED, "according to (sentence)")
        for index, token in enumerate(tokens[:-1])
        if token.lower_ == "according"
        and tokens[index + 1].lower_ == "to"
        and token.i > trigger.i
        and index > 0
        and tokens[index - 1].text == ","
    ]


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
    fired: list[Cue] = []
    in_clause = True
    previous: Token | None = None
    path = [trigger, *trigger.ancestors]
    for position, token in enumerate(path):
        if (
            previous is not None
            and previous.dep_ in _CLAUSE_BOUNDARIES
            and not (previous.dep_ == "acl" and previous.tag_ == "VB")  # "no plans to meet"
        ):
            in_clause = False
        if previous is not None and position > 0 and _ends_walk(token, previous, trigger):
            path = path[:position]
            break
        if (
            decisions_are_events
            and position > 0
            and token.lemma_.lower() in DECISION_VERBS
            and token.tag_ in ("VBD", "VBN")
        ):
            previous = token
            continue
        step = _Step(token, previous, trigger, in_clause, speaker_is_party)
        fired.extend(cue for detect in _TOKEN_DETECTORS if (cue := detect(step)) is not None)
        for child in token.children:
            fired.extend(
                cue for detect in _CHILD_DETECTORS if (cue := detect(step, child)) is not None
            )
        previous = token
    if any(cue.family is CueFamily.WOULD for cue in fired):
        fired.append(_would(path))
    tokens = list(sentence_tokens) if sentence_tokens is not None else []
    debunked = any(t.lower_ in DEBUNK_WORDS for t in tokens)
    fired.extend(_sentence_according_to(tokens, trigger))
    families = {cue.family for cue in fired}
    return ModalityReading(
        decide_modality(families),
        CueFamily.FUTURE in families or CueFamily.PLANNED in families,
        debunked,
        tuple(cue.text for cue in fired if cue.text is not None),
    )
