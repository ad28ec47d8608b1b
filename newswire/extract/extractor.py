"""The library API the pipeline calls: :class:`EventExtractor`.

It loads the spaCy model once per process, adds our components, pre-filters sentences, parses
only the candidates (batched across articles with ``nlp.pipe``), then resolves dates, flags
historical background, merges repeated mentions and builds :class:`schemas.events.Event` records.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from newswire.errors import NewswireError
from newswire.extract.actors import sentence_actors
from newswire.extract.components import ACTOR_SPANS, TRIGGER_SPANS, SentenceMention
from newswire.extract.cues import load_cues
from newswire.extract.dates import Granularity, ResolvedDate, find_date_mentions, resolve_date
from newswire.extract.decision import (
    DecisionModel,
    DecisionModelError,
    SentenceView,
    load_decision_model,
    sentence_features,
)
from newswire.extract.gazetteer import Gazetteer, GazetteerEntry, load_gazetteer
from newswire.extract.merge import (
    ArticleFacts,
    ArticleMention,
    build_events,
    merge_mentions,
)
from newswire.extract.patterns import TriggerLexicon, extractor_version, load_lexicon
from newswire.extract.prefilter import Candidate, SentencePrefilter, SentenceSpan
from newswire.extract.settings import ExtractSettings
from schemas.articles import NormalizedArticle
from schemas.events import ActorKind, Event, EventType, Modality


@dataclass(slots=True)
class ParsedSentence:
    """One parsed candidate sentence of an article, with what the decision stage sees of it."""

    candidate: Candidate
    doc: Any
    view: SentenceView


def _trigger_span(doc: Any, event_type: EventType) -> Any:
    return next((s for s in doc.spans[TRIGGER_SPANS] if s.label_ == event_type.value), None)


def _trigger_text(doc: Any, event_type: EventType) -> str:
    span = _trigger_span(doc, event_type)
    return str(span.text) if span is not None else ""


def _trigger_lemma(doc: Any, event_type: EventType) -> str:
    span = _trigger_span(doc, event_type)
    return str(span.root.lemma_).lower() if span is not None else event_type.value.lower()


_LAZY_PIPES = ["ner"]
# A contact or a protest has two sides: one name alone is not such an event.
_MIN_ADDED_ACTORS = {EventType.LEADER_CONTACT: 2, EventType.DIPLOMATIC_PROTEST: 2}
_THEATRE = load_cues().shared.theatre_countries
_DATELINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b")


class ExtractError(NewswireError):
    """Event extraction cannot run (the model or a data file cannot be loaded)."""


@dataclass(frozen=True, slots=True)
class ArticleInput:
    """One article to extract from: its text and what events copy from it."""

    facts: ArticleFacts
    text: str
    published: date | None

    @classmethod
    def from_article(cls, article: NormalizedArticle) -> ArticleInput:
        """Wrap a normalized article."""
        published = article.published_at.date() if article.published_at else None
        return cls(
            ArticleFacts.from_article(article), article.text, published or _dateline(article.text)
        )

    @classmethod
    def from_text(
        cls,
        article_id: str,
        text: str,
        *,
        title: str | None = None,
        published: date | None = None,
        url: str | None = None,
    ) -> ArticleInput:
        """Wrap a plain text; a leading "date YYYY-MM-DD" line stands in for a missing date."""
        facts = ArticleFacts(article_id=article_id, title=title, url=url)
        return cls(facts, text, published or _dateline(text))


_DEBUNKED = re.compile(
    r"\b(?:the|that|this)\s+(\w+)\s+(?:was|were|is|are|had been|has been)\s+"
    r"(?:a\s+)?(?:fake|false|fabricated|doctored|forged|a hoax|hoax|untrue|baseless|staged)\b",
    re.IGNORECASE,
)


def debunked_nouns(following: str) -> tuple[str, ...]:
    """Nouns the next sentence calls fake ("Officials said the recording was fake")."""
    sentence = re.split(r"(?<=[.!?])\s", following, maxsplit=1)[0]
    return tuple(match.group(1).lower().rstrip("s") for match in _DEBUNKED.finditer(sentence))


def _after_dateline(text: str, candidate: Candidate) -> Candidate:
    """Keep a leading "date YYYY-MM-DD" out of the first sentence (it is not an event date)."""
    match = _DATELINE.match(text)
    if match is None or candidate.span.start >= match.end():
        return candidate
    start = match.end()
    while start < candidate.span.end and text[start].isspace():
        start += 1
    return Candidate(SentenceSpan(start, candidate.span.end), candidate.context_ids)


def _dateline(text: str) -> date | None:
    match = _DATELINE.match(text)
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


@functools.cache
def load_pipeline(
    model: str, gazetteer_path: str, lexicon_path: str, named_entities: bool = True
) -> Any:
    """Load the spaCy model with our components, once per process and configuration."""
    import spacy

    from newswire.extract import components  # noqa: F401  (registers the factories)
    from newswire.extract.cached_pipes import use_cached_pipes

    try:
        # NER runs only on the pre-filtered candidate sentences: it finds the actors the
        # gazetteer does not hold.
        nlp = spacy.load(model, exclude=[] if named_entities else ["ner"])
    except OSError as exc:
        raise ExtractError(f"cannot load spaCy model {model!r}: {exc}") from exc
    use_cached_pipes(nlp)
    nlp.add_pipe("newswire_gazetteer", config={"gazetteer_path": gazetteer_path})
    nlp.add_pipe("newswire_triggers", config={"lexicon_path": lexicon_path})
    nlp.add_pipe("newswire_events", config={"gazetteer_path": gazetteer_path})
    return nlp


class EventExtractor:
    """Extracts typed events from articles.

    Construct once per process (or per worker) and call :meth:`open` (or let the first call do
    it); the spaCy model is loaded once per process whatever the number of extractors.
    """

    def __init__(self, settings: ExtractSettings) -> None:
        self.settings = settings
        self.gazetteer: Gazetteer = load_gazetteer(self.settings.gazetteer_path)
        self.lexicon: TriggerLexicon = load_lexicon(self.settings.lexicon_path)
        # Events outside the war newswire follows are dropped after the parse; an article
        # that cannot have one is not parsed at all.
        self.prefilter = SentencePrefilter(
            self.gazetteer, self.lexicon, self.settings.context_actors, theatre=_THEATRE
        )
        self._nlp: Any = None
        self._decider: DecisionModel | None = None
        if self.settings.decide:
            try:
                self._decider = load_decision_model(str(self.settings.decision_model_path or ""))
            except DecisionModelError as exc:
                raise ExtractError(str(exc)) from exc
        self._countries: dict[str, GazetteerEntry] = {
            entry.country: entry
            for entry in self.gazetteer.entries
            if entry.kind is ActorKind.COUNTRY and entry.country
        }

    @property
    def version(self) -> str:
        """The extractor version stamped on events."""
        from newswire.extract import rules  # noqa: F401  (registers the rules)

        base = extractor_version(self.lexicon, self.gazetteer.version)
        if self._decider is None:
            return f"{base}+rules"
        return f"{base}+decision.{self._decider.version}"

    def open(self) -> EventExtractor:
        """Load the spaCy pipeline (cached per process)."""
        if self._nlp is None:
            self._nlp = load_pipeline(
                self.settings.model,
                str(self.settings.gazetteer_path or ""),
                str(self.settings.lexicon_path or ""),
                self.settings.named_entities,
            )
        return self

    @property
    def nlp(self) -> Any:
        """The loaded spaCy pipeline."""
        return self.open()._nlp

    def extract(self, article: NormalizedArticle) -> list[Event]:
        """The events of one normalized article."""
        return self.extract_inputs([ArticleInput.from_article(article)])[0]

    def extract_text(
        self,
        article_id: str,
        text: str,
        *,
        title: str | None = None,
        published: date | None = None,
        url: str | None = None,
    ) -> list[Event]:
        """The events of a plain text (offsets are into ``text``)."""
        item = ArticleInput.from_text(article_id, text, title=title, published=published, url=url)
        return self.extract_inputs([item])[0]

    def extract_inputs(self, items: Sequence[ArticleInput]) -> list[list[Event]]:
        """The events of several articles, parsed together for throughput."""
        return [events for _, events in self.iter_extract(items)]

    def iter_extract(
        self, items: Iterable[ArticleInput]
    ) -> Iterator[tuple[ArticleInput, list[Event]]]:
        """Yield each article with its events, parsing articles in chunks."""
        chunk: list[ArticleInput] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= self.settings.articles_per_chunk:
                yield from self._extract_chunk(chunk)
                chunk = []
        if chunk:
            yield from self._extract_chunk(chunk)

    def parsed_sentences(self, chunk: Sequence[ArticleInput]) -> list[list[ParsedSentence]]:
        """Pre-filter and parse the candidate sentences of ``chunk``, grouped per article.

        Training (``newswire.extract.training``) and extraction share this path, so the
        decision model sees at run time exactly the sentences and features it was fitted on.
        """
        nlp = self.nlp
        jobs: list[tuple[int, Candidate]] = []
        for index, item in enumerate(chunk):
            jobs.extend((index, candidate) for candidate in self.prefilter.candidates(item.text))
        jobs = [(index, _after_dateline(chunk[index].text, c)) for index, c in jobs]
        docs = []
        for index, candidate in jobs:
            text = chunk[index].text
            doc = nlp.make_doc(text[candidate.span.start : candidate.span.end])
            doc._.nw_context_actors = candidate.context_ids
            doc._.nw_debunked_nouns = debunked_nouns(
                text[candidate.span.end : candidate.span.end + 400]
            )
            docs.append(doc)
        per_article: list[list[ParsedSentence]] = [[] for _ in chunk]
        for (index, candidate), doc in zip(
            # NER is left for the few sentences that need actors beyond the gazetteer.
            jobs,
            nlp.pipe(docs, batch_size=self.settings.batch_size, disable=_LAZY_PIPES),
            strict=True,
        ):
            per_article[index].append(ParsedSentence(candidate, doc, self._view(doc)))
        for sentences in per_article:
            count = len(sentences)
            for rank, sentence in enumerate(sentences):
                sentence.view = replace(sentence.view, index=rank, count=count)
        return per_article

    def _names_theatre(self, doc: Any) -> bool:
        """Whether the sentence names an actor of the conflict newswire follows."""
        for span in doc.spans[ACTOR_SPANS]:
            entry = self.gazetteer.get(span.kb_id_)
            if entry is not None and (entry.country or "").lower() in _THEATRE:
                return True
        return False

    def _recognise_entities(self, doc: Any) -> None:
        if self.settings.named_entities and "ner" in self.nlp.pipe_names:
            self.nlp.get_pipe("ner")(doc)

    def _view(self, doc: Any) -> SentenceView:
        rule_types: dict[EventType, Modality] = {}
        for mention in doc._.nw_mentions or ():
            rule_types.setdefault(mention.event_type, mention.modality)
        kinds = []
        for span in doc.spans[ACTOR_SPANS]:
            entry = self.gazetteer.get(span.kb_id_)
            if entry is not None:
                kinds.append(entry.kind.value)
        triggers = frozenset(EventType(span.label_) for span in doc.spans[TRIGGER_SPANS])
        return SentenceView(doc, rule_types, triggers, tuple(kinds), 0, 1)

    def _extract_chunk(
        self, chunk: list[ArticleInput]
    ) -> Iterator[tuple[ArticleInput, list[Event]]]:
        extracted_at = datetime.now(UTC)
        for item, sentences in zip(chunk, self.parsed_sentences(chunk), strict=True):
            yield item, self.events_from_parsed(item, sentences, extracted_at=extracted_at)

    def events_from_parsed(
        self,
        item: ArticleInput,
        sentences: Sequence[ParsedSentence],
        *,
        extracted_at: datetime | None = None,
    ) -> list[Event]:
        """The events of one article from its parsed candidate sentences.

        Cross-validation parses once and decides with each fold's model through this.
        """
        mentions: list[ArticleMention] = []
        in_theatre = False
        for sentence in sentences:
            mentions.extend(self._mentions(sentence, item.published))
            in_theatre = in_theatre or self._names_theatre(sentence.doc)
        if not in_theatre:
            # Strikes in another war, a summit about something else: not our events.
            mentions = []
        clusters = merge_mentions(mentions)
        return build_events(
            item.facts,
            item.text,
            clusters,
            extractor_version=self.version,
            extracted_at=extracted_at or datetime.now(UTC),
            country_entry=self._countries.get,
            # The decision stage's thresholds already decided; the floor is for rules.
            min_confidence=self.settings.min_confidence if self._decider is None else 0.0,
            published=item.published,
        )

    def with_decider(self, decider: DecisionModel | None) -> EventExtractor:
        """A copy of this extractor deciding with ``decider`` (same pipeline, same data)."""
        other = copy.copy(self)
        other._decider = decider
        return other

    def _mentions(self, sentence: ParsedSentence, published: date | None) -> list[ArticleMention]:
        doc, candidate = sentence.doc, sentence.candidate
        rule_mentions = list(doc._.nw_mentions or ())
        if self._decider is None:
            return [self._place(m, candidate, published) for m in rule_mentions]
        features = sentence_features(sentence.view)
        decisions = {d.event_type: d for d in self._decider.decide(features)}
        placed: list[ArticleMention] = []
        ruled: set[EventType] = set()
        entities_done = False
        for mention in rule_mentions:
            decision = decisions.get(mention.event_type)
            if decision is None or not self._decider.accepts(decision, mention.confidence):
                continue
            ruled.add(mention.event_type)
            modality, _ = self._decider.modality(features, mention.event_type)
            placed.append(
                self._place(
                    replace(mention, modality=modality, confidence=decision.probability),
                    candidate,
                    published,
                    rule_modality=mention.modality,
                )
            )
        for event_type, decision in decisions.items():
            if event_type in ruled:
                continue
            if decision.probability < self._decider.add_threshold(event_type):
                continue
            if not entities_done:
                self._recognise_entities(doc)
                entities_done = True
            actors, texts = sentence_actors(doc, self.gazetteer)
            if not actors:
                # "The two presidents spoke again": the actors named just before.
                actors, texts = self._context_actors(doc)
            if len(actors) < _MIN_ADDED_ACTORS.get(event_type, 1):
                continue
            modality, _ = self._decider.modality(features, event_type)
            dates = find_date_mentions(doc.text)
            placed.append(
                self._place(
                    SentenceMention(
                        event_type=event_type,
                        actors=actors,
                        actor_texts=texts,
                        modality=modality,
                        future=modality is Modality.PLANNED,
                        trigger=_trigger_text(doc, event_type),
                        trigger_lemma=_trigger_lemma(doc, event_type),
                        trigger_start=0,
                        date=dates[0] if dates else None,
                        location=None,
                        confidence=decision.probability,
                        historical_cue=False,
                    ),
                    candidate,
                    published,
                )
            )
        return placed

    def _context_actors(self, doc: Any) -> tuple[tuple[GazetteerEntry, ...], tuple[str, ...]]:
        ids = list(dict.fromkeys(reversed(doc._.nw_context_actors or ())))[:2]
        entries = tuple(e for i in reversed(ids) if (e := self.gazetteer.get(i)) is not None)
        return entries, tuple(e.name for e in entries)

    def _place(
        self,
        mention: SentenceMention,
        candidate: Candidate,
        published: date | None,
        *,
        rule_modality: Modality | None = None,
    ) -> ArticleMention:
        resolved: ResolvedDate | None = None
        modality: Modality = mention.modality
        if mention.date is not None:
            resolved = resolve_date(mention.date, published, future=mention.future)
        ahead = resolved is not None and published is not None and resolved.after(published)
        if rule_modality is Modality.PLANNED and modality is Modality.ASSERTED:
            # "Blinken will meet Lavrov": the rules' future reading beats a plain "asserted"
            # (out of fold on the tuning split, modality 0.82 -> 0.85).
            modality = Modality.PLANNED
        if ahead and (
            modality is Modality.ASSERTED
            or (rule_modality is Modality.PLANNED and modality is not Modality.NEGATED)
        ):
            # An event dated after its report has not happened yet, whatever the wording ("is
            # to station ... from next month"): a scheduled future the rules read stays planned.
            modality = Modality.PLANNED
        return ArticleMention(
            event_type=mention.event_type,
            actors=mention.actors,
            actor_texts=mention.actor_texts,
            modality=modality,
            trigger=mention.trigger,
            trigger_lemma=mention.trigger_lemma,
            evidence_start=candidate.span.start,
            evidence_end=candidate.span.end,
            date=resolved,
            historical=self._historical(resolved, published, mention.historical_cue),
            location=mention.location,
            confidence=mention.confidence,
        )

    def _historical(self, resolved: ResolvedDate | None, published: date | None, cue: bool) -> bool:
        if resolved is None:
            return False
        if published is None:
            return cue
        if resolved.granularity is Granularity.YEAR:
            return resolved.value.year < published.year
        if resolved.granularity is Granularity.MONTH:
            return (published - resolved.value).days > self.settings.historical_after_days + 31
        return (published - resolved.value).days > self.settings.historical_after_days


def default_gazetteer_path() -> Path:
    """Where the packaged gazetteer lives (for other stages that want the file itself)."""
    from newswire.extract.gazetteer import DEFAULT_GAZETTEER_PATH

    return DEFAULT_GAZETTEER_PATH
