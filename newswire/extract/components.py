"""Our spaCy pipeline components, registered as factories that declare what they read and write.

- ``newswire_gazetteer``: phrase matching of the gazetteer's names, aliases, titles and demonyms
  into ``doc.spans["nw_actors"]`` (``kb_id_`` is the canonical id); a country named only to
  qualify a person ("Russian President Vladimir Putin") is folded into that person.
- ``newswire_triggers``: lemma and phrase patterns of the trigger lexicons into
  ``doc.spans["nw_triggers"]`` (label: the event type).
- ``newswire_events``: the registered rule of each trigger's type, modality and date attachment
  into ``doc._.nw_mentions`` (one :class:`SentenceMention` per event mention).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from newswire.extract import rules
from newswire.extract.dates import DateMention, find_date_mentions
from newswire.extract.gazetteer import Gazetteer, GazetteerEntry, load_gazetteer, strip_accents
from newswire.extract.modality import frames_event, read_modality
from newswire.extract.patterns import TriggerLexicon, load_lexicon, registered_rules
from schemas.events import ActorKind, EventType, Modality

ACTOR_SPANS = "nw_actors"
TRIGGER_SPANS = "nw_triggers"
MENTIONS_ATTR = "nw_mentions"
CONTEXT_ATTR = "nw_context_actors"
DEBUNKED_ATTR = "nw_debunked_nouns"

if not Doc.has_extension(MENTIONS_ATTR):
    Doc.set_extension(MENTIONS_ATTR, default=None)
if not Doc.has_extension(CONTEXT_ATTR):
    Doc.set_extension(CONTEXT_ATTR, default=None)
if not Doc.has_extension(DEBUNKED_ATTR):
    Doc.set_extension(DEBUNKED_ATTR, default=None)


def _shares_debunked_noun(doc: Any, trigger: Any) -> bool:
    """Whether the next sentence called one of this sentence's nouns fake ("the recording")."""
    nouns = set(doc._.get(DEBUNKED_ATTR) or ())
    near = {t.lemma_.lower() for t in trigger.subtree} | {trigger.head.lemma_.lower()}
    near |= {t.lemma_.lower() for t in doc if t.pos_ == "NOUN"}
    return bool(nouns & near)


_QUALIFYING_DEPS = frozenset({"compound", "amod", "poss", "nmod", "npadvmod", "appos"})
_REPORTING = frozenset(
    {
        "say",
        "tell",
        "deny",
        "confirm",
        "claim",
        "report",
        "state",
        "announce",
        "add",
        "insist",
        "allege",
        "reiterate",
        "note",
        "write",
        "warn",
        "argue",
        "suggest",
        "believe",
        "know",
    }
)
_TEMPORAL_PREPS = frozenset({"after", "before", "since", "following", "until", "ahead", "prior"})
_HISTORICAL_CUES = frozenset(
    {"first", "previously", "once", "back", "earlier", "similarly", "formerly", "past", "ago"}
)


def _gazetteer_from(path: str) -> Gazetteer:
    return load_gazetteer(Path(path) if path else None)


def _lexicon_from(path: str) -> TriggerLexicon:
    return load_lexicon(Path(path) if path else None)


class ActorRuler:
    """Finds gazetteer actors; longest match wins; qualifiers fold into the person they qualify."""

    def __init__(self, nlp: Any, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.by_lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.by_orth = PhraseMatcher(nlp.vocab, attr="ORTH")
        lower: dict[str, list[Any]] = {}
        orth: dict[str, list[Any]] = {}
        for form, entry in gazetteer.surface_forms():
            variants = {form, strip_accents(form), form.replace("'", "’")}
            if form.lower().startswith("the "):
                variants |= {v[4:] for v in list(variants)}
            for variant in variants:
                pattern = nlp.make_doc(variant)
                if len(pattern) == 1 and (variant.isupper() or variant[:1].isupper()):
                    orth.setdefault(entry.id, []).append(pattern)
                    if not variant.isupper() and len(variant) > 4:
                        orth.setdefault(entry.id, []).append(nlp.make_doc(variant.upper()))
                else:
                    lower.setdefault(entry.id, []).append(pattern)
        for key, patterns in lower.items():
            self.by_lower.add(key, patterns)
        for key, patterns in orth.items():
            self.by_orth.add(key, patterns)

    def __call__(self, doc: Any) -> Any:
        """Write the actors of ``doc`` to ``doc.spans["nw_actors"]``."""
        vocab = doc.vocab
        spans = [
            Span(doc, start, end, label="ACTOR", kb_id=vocab.strings[match_id])
            for match_id, start, end in [*self.by_lower(doc), *self.by_orth(doc)]
        ]
        spans = sorted(filter_spans(spans), key=lambda span: span.start)
        merged: list[Any] = []
        for span in spans:
            previous = merged[-1] if merged else None
            if (
                previous is not None
                and previous.kb_id_ == span.kb_id_
                and span.start - previous.end <= 1
            ):
                merged[-1] = Span(doc, previous.start, span.end, label="ACTOR", kb_id=span.kb_id_)
            else:
                merged.append(span)
        doc.spans[ACTOR_SPANS] = [
            span for span in merged if not self._qualifies_person(span, merged)
        ]
        return doc

    def _qualifies_person(self, span: Any, spans: list[Any]) -> bool:
        entry = self.gazetteer.get(span.kb_id_)
        if entry is None:
            return False
        if entry.kind is ActorKind.PERSON:
            return self._possesses_a_title(span, spans)
        for other in spans:
            if other is span:
                continue
            person = self.gazetteer.get(other.kb_id_)
            if person is None or person.kind is not ActorKind.PERSON:
                continue
            if person.country != entry.country:
                continue
            adjacent = 0 <= other.start - span.end <= 4
            attached = span.root.head.i in range(other.start, other.end) or any(
                ancestor.i in range(other.start, other.end)
                for ancestor in list(span.root.ancestors)[:3]
            )
            if adjacent and (attached or span.root.dep_ in _QUALIFYING_DEPS):
                return True
        return False

    def _possesses_a_title(self, span: Any, spans: list[Any]) -> bool:
        """Whether a possessor only qualifies another person ("X's chief of staff Y")."""
        if span.root.dep_ != "poss":
            return False
        title = span.root.head
        for other in spans:
            person = self.gazetteer.get(other.kb_id_)
            if other is span or person is None or person.kind is not ActorKind.PERSON:
                continue
            inside = range(other.start, other.end)
            if 0 <= other.start - span.end <= 6 and (
                title.head.i in inside
                or any(c.i in inside for c in title.children)
                or title.i in inside
            ):
                return True
        return False


class TriggerMatcher:
    """Marks tokens whose lemma (or phrase) may trigger an event type."""

    def __init__(self, nlp: Any, lexicon: TriggerLexicon) -> None:
        # Every lemma pattern is one token, so a dict lookup per token does what a Matcher of
        # "IN" patterns does, several times faster.
        self.by_word: dict[str, list[tuple[str, frozenset[str]]]] = {}
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        for type_lexicon in lexicon.types:
            key = type_lexicon.event_type.value
            nlp.vocab.strings.add(key)
            for lemmas, pos in type_lexicon.lemmas_by_pos:
                # Headlines are title case: the tagger then calls nouns proper nouns.
                accepted = frozenset([*pos, "PROPN"] if "NOUN" in pos else pos)
                for lemma in lemmas:
                    self.by_word.setdefault(lemma, []).append((key, accepted))
            if type_lexicon.phrases:
                self.phrases.add(key, [nlp.make_doc(p) for p in type_lexicon.phrases])

    def _word_matches(self, doc: Any) -> list[tuple[int, int, int]]:
        strings = doc.vocab.strings
        found: list[tuple[int, int, int]] = []
        for token in doc:
            # A pattern matches on the lemma or on the lowercase text, as the Matcher did.
            rows = self.by_word.get(token.lemma_, [])
            if token.lower_ != token.lemma_:
                rows = rows + self.by_word.get(token.lower_, [])
            for key, accepted in rows:
                if token.pos_ in accepted:
                    found.append((strings[key], token.i, token.i + 1))
        return found

    def __call__(self, doc: Any) -> Any:
        """Write the triggers of ``doc`` to ``doc.spans["nw_triggers"]``."""
        vocab = doc.vocab
        seen: set[tuple[str, int]] = set()
        spans: list[Any] = []
        for match_id, start, end in [*self._word_matches(doc), *self.phrases(doc)]:
            label = vocab.strings[match_id]
            span = Span(doc, start, end, label=label)
            key = (label, span.root.i)
            if key not in seen:
                seen.add(key)
                spans.append(span)
        doc.spans[TRIGGER_SPANS] = sorted(spans, key=lambda s: (s.start, s.label_))
        return doc


@dataclass(frozen=True, slots=True)
class SentenceMention:
    """One event mention found in one parsed sentence; offsets are into that sentence."""

    event_type: EventType
    actors: tuple[GazetteerEntry, ...]
    actor_texts: tuple[str, ...]
    modality: Modality
    future: bool
    trigger: str
    trigger_lemma: str
    trigger_start: int
    date: DateMention | None
    location: str | None
    confidence: float
    historical_cue: bool
    is_verb: bool = False


def _date_anchor(token: Any, triggers: set[int]) -> Any:
    current = token
    for _ in range(12):
        if current.i in triggers or current.pos_ in ("VERB", "AUX"):
            return current
        if current.head.i == current.i:
            return current
        current = current.head
    return current


class EventAssembler:
    """Turns triggers and actors into typed event mentions with modality and a date."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.rules = registered_rules()
        self.western = frozenset(
            entry.country
            for entry in gazetteer.entries
            if entry.kind is ActorKind.COUNTRY and entry.western and entry.country
        ) | {"EU"}
        self.countries = {
            entry.country: entry
            for entry in gazetteer.entries
            if entry.kind is ActorKind.COUNTRY and entry.country
        }

    def __call__(self, doc: Any) -> Any:
        """Write the event mentions of ``doc`` to ``doc._.nw_mentions``."""
        actors = [
            rules.ActorHit(entry, span.start, span.end, span.text, span.root.i)
            for span in doc.spans[ACTOR_SPANS]
            if (entry := self.gazetteer.get(span.kb_id_)) is not None
        ]
        context_ids = doc._.get(CONTEXT_ATTR) or ()
        context = [e for i in context_ids if (e := self.gazetteer.get(i)) is not None]
        trigger_spans = list(doc.spans[TRIGGER_SPANS])
        trigger_tokens = {span.root.i for span in trigger_spans}
        date_anchors = self._date_anchors(doc, trigger_tokens)
        actor_tokens = {i for hit in actors for i in range(hit.start, hit.end)}
        found: list[SentenceMention] = []
        for span in trigger_spans:
            token = span.root
            if token.i in actor_tokens:
                continue
            event_type = EventType(span.label_)
            rule = self.rules.get(event_type)
            if rule is None:
                continue
            ctx = rules.TriggerContext(
                doc,
                token,
                event_type,
                actors,
                context,
                western_countries=self.western,
                country_entries=self.countries,
            )
            outcome = rule.function(ctx)
            if outcome is None:
                continue
            mention = self._mention(doc, ctx, span, outcome, date_anchors)
            if mention is not None:
                found.append(mention)
        doc._.set(MENTIONS_ATTR, _dedupe_in_sentence(found))
        return doc

    def _date_anchors(self, doc: Any, triggers: set[int]) -> list[tuple[DateMention, Any]]:
        anchors: list[tuple[DateMention, Any]] = []
        for mention in find_date_mentions(doc.text):
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            anchors.append((mention, _date_anchor(span.root, triggers)))
        return anchors

    def _mention(
        self,
        doc: Any,
        ctx: rules.TriggerContext,
        span: Any,
        outcome: rules.RuleOutcome,
        date_anchors: list[tuple[DateMention, Any]],
    ) -> SentenceMention | None:
        token = ctx.trigger
        party_ids = {entry.id for entry in outcome.actors}
        party_countries = {entry.country for entry in outcome.actors if entry.country}

        def speaker_is_party(subject: Any) -> bool:
            if ctx.event_type is EventType.DIPLOMATIC_PROTEST:
                return True
            if ctx.event_type is EventType.MILITARY_ACTION:
                # Claims about fighting are attributed, whoever makes them.
                return False
            speakers = [hit.entry for hit in ctx.actors_in(t.i for t in subject.subtree)]
            if not speakers:
                owner = next((c for c in subject.children if c.dep_ == "poss"), None)
                entry = rules.resolve_pronoun(ctx, owner) if owner is not None else None
                speakers = [entry] if entry is not None else []
            return any(
                entry.id in party_ids or entry.country in party_countries for entry in speakers
            )

        reading = read_modality(
            token,
            speaker_is_party,
            sentence_tokens=doc,
            decisions_are_events=ctx.event_type is EventType.SANCTIONS_OR_ASSETS,
        )
        if reading.debunked or (doc._.get(DEBUNKED_ATTR) and _shares_debunked_noun(doc, token)):
            return None
        date = self._date_for(token, date_anchors)
        path = {token.i, *(t.i for t in token.ancestors)}
        historical_cue = any(
            child.lower_ in _HISTORICAL_CUES
            for i in path
            for child in doc[i].children
            if child.dep_ in ("advmod", "amod", "npadvmod", "prep", "advcl")
        )
        return SentenceMention(
            event_type=ctx.event_type,
            actors=outcome.actors,
            actor_texts=outcome.mentions,
            modality=reading.modality,
            future=reading.future,
            trigger=span.text,
            trigger_lemma=token.lemma_.lower(),
            trigger_start=span.start_char,
            date=date,
            location=outcome.location,
            confidence=outcome.confidence,
            historical_cue=historical_cue,
            is_verb=token.pos_ in ("VERB", "AUX"),
        )

    @staticmethod
    def _date_for(token: Any, anchors: list[tuple[DateMention, Any]]) -> DateMention | None:
        verb = rules.clause_verb(token)
        direct = [
            mention
            for mention, anchor in anchors
            if anchor.i == token.i
            or (anchor.i == verb.i and (verb.i == token.i or frames_event(verb)))
            or (anchor.dep_ in ("relcl", "acl") and anchor.head.i == token.i)
            or any(a.i == token.i for a in anchor.ancestors if a.i != verb.i and a.pos_ != "VERB")
        ]
        if direct:
            return direct[0]
        ancestors: list[int] = []
        previous = token
        for ancestor in token.ancestors:
            # "... slammed Macron after the latter exposed the call": the call is earlier;
            # "X said on Monday that ...": the day of saying is not the day of the event.
            if ancestor.dep_ == "prep" and ancestor.lower_ in _TEMPORAL_PREPS:
                break
            if previous.dep_ in ("acl", "relcl", "advcl", "conj"):
                break
            if previous.dep_ in ("ccomp", "parataxis") and ancestor.lemma_.lower() in _REPORTING:
                break
            ancestors.append(ancestor.i)
            previous = ancestor
        best: tuple[int, DateMention] | None = None
        for mention, anchor in anchors:
            if anchor.i in ancestors:
                distance = ancestors.index(anchor.i)
                if best is None or distance < best[0]:
                    best = (distance, mention)
        return None if best is None else best[1]


def _dedupe_in_sentence(mentions: list[SentenceMention]) -> list[SentenceMention]:
    kept: list[SentenceMention] = []
    for mention in mentions:
        key = (mention.event_type, frozenset(e.id for e in mention.actors))
        duplicate = next(
            (
                i
                for i, other in enumerate(kept)
                if (
                    (other.event_type, frozenset(e.id for e in other.actors)) == key
                    or (
                        other.event_type is mention.event_type
                        and {e.id for e in mention.actors} <= {e.id for e in other.actors}
                    )
                )
                and (
                    other.date is None
                    or mention.date is None
                    or other.date.text.lower() == mention.date.text.lower()
                )
            ),
            None,
        )
        if duplicate is None:
            kept.append(mention)
        elif (mention.date is not None and kept[duplicate].date is None) or (
            mention.is_verb and not kept[duplicate].is_verb
        ):
            # The verb ("would be deployed") carries the modality better than its noun; a date
            # found on the noun ("in a call on Monday, they discussed") stays.
            previous = kept[duplicate]
            kept[duplicate] = (
                replace(mention, date=previous.date)
                if mention.date is None and previous.date is not None
                else mention
            )
    return kept


@Language.factory(
    "newswire_gazetteer",
    assigns=["doc.spans"],
    requires=["token.dep"],
    default_config={"gazetteer_path": ""},
)
def make_gazetteer(nlp: Any, name: str, gazetteer_path: str) -> ActorRuler:
    """The gazetteer component (``gazetteer_path`` empty: the packaged gazetteer)."""
    return ActorRuler(nlp, _gazetteer_from(gazetteer_path))


@Language.factory(
    "newswire_triggers",
    assigns=["doc.spans"],
    requires=["token.lemma", "token.pos"],
    default_config={"lexicon_path": ""},
)
def make_triggers(nlp: Any, name: str, lexicon_path: str) -> TriggerMatcher:
    """The trigger component (``lexicon_path`` empty: the packaged lexicons)."""
    return TriggerMatcher(nlp, _lexicon_from(lexicon_path))


@Language.factory(
    "newswire_events",
    assigns=[f"doc._.{MENTIONS_ATTR}"],
    requires=[
        "doc.spans",
        "doc.spans",
        "token.dep",
        "token.lemma",
        "token.pos",
    ],
    default_config={"gazetteer_path": ""},
)
def make_events(nlp: Any, name: str, gazetteer_path: str) -> EventAssembler:
    """The event assembly component."""
    return EventAssembler(_gazetteer_from(gazetteer_path))
