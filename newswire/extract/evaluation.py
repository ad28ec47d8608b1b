"""The labelled corpus and its scoring (``newswire eval``).

The corpus ships inside the package (``newswire/extract/corpus/``): full-length articles of our
own writing with gold events, in a tuning split and a test split written separately from
different source stories (see the corpus README). The shared seed articles are an extra split,
scored only when a folder holding them is given (``NEWSWIRE_SEEDS_DIR``); their labels live in
``corpus/seeds.yaml`` and their text is read in place.

Scoring follows the independent check: a predicted event matches a gold event of the same
article and type when their evidence spans overlap, or failing that when they share
participants (two surnames, or all of the gold ones when fewer); each gold event matches once,
and a second prediction for it is a false alarm. Modality accuracy is over matched events.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newswire.errors import NewswireError
from newswire.extract.extractor import ArticleInput, EventExtractor
from newswire.extract.gazetteer import Gazetteer, normalize_name
from newswire.validation import first_error
from schemas.base import stable_id
from schemas.events import Event, EventType, Modality


class CorpusError(NewswireError):
    """A corpus file is malformed, or a split cannot be loaded."""


class Split(StrEnum):
    """The parts of the corpus ``newswire eval`` can score."""

    TUNE = "tune"
    TEST = "test"
    ALL = "all"
    SEEDS = "seeds"


class _GoldRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    type: EventType
    evidence: str | None = None
    actors: tuple[str, ...]
    modality: Modality
    date: dt.date | None = None
    background: bool = False
    note: str | None = None


class _ArticleRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1)]
    modelled_on: Annotated[str, Field(pattern=r"^https?://")]
    published: dt.date
    style: str | None = None
    title: str | None = None
    text: Annotated[str, Field(min_length=1)]
    note: str | None = None
    events: tuple[_GoldRow, ...] = ()


class _CorpusFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    articles: tuple[_ArticleRow, ...]


class _SeedRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1)]
    seed: Annotated[str, Field(min_length=1)]
    published: dt.date | None = None
    events: tuple[_GoldRow, ...] = ()


class _SeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    passages: tuple[_SeedRow, ...]


@dataclass(frozen=True, slots=True)
class GoldEvent:
    """One labelled event: its type, evidence span (when labelled), participants and modality."""

    type: EventType
    span: tuple[int, int] | None
    actors: tuple[str, ...]
    modality: Modality
    date: dt.date | None
    background: bool


@dataclass(frozen=True, slots=True)
class Article:
    """One labelled article of the corpus (or a seed article read in place)."""

    id: str
    split: str
    title: str | None
    text: str
    published: dt.date | None
    events: tuple[GoldEvent, ...]
    modelled_on: str | None
    source: str


def corpus_root() -> Traversable:
    """The corpus folder inside the installed package."""
    return resources.files("newswire.extract").joinpath("corpus")


def _read_yaml(path: Traversable, name: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{name}: not valid YAML: {exc}") from exc


def _gold(row: _GoldRow, text: str, where: str) -> GoldEvent:
    span: tuple[int, int] | None = None
    if row.evidence is not None:
        start = text.find(row.evidence)
        if start < 0:
            raise CorpusError(f"{where}: evidence is not a substring of the text")
        span = (start, start + len(row.evidence))
    if not row.actors:
        raise CorpusError(f"{where}: an event needs at least one actor")
    return GoldEvent(row.type, span, row.actors, row.modality, row.date, row.background)


def load_split_files(split: str, files: Iterable[Traversable]) -> list[Article]:
    """Parse corpus files of one split into articles (ids checked unique within the call)."""
    articles: list[Article] = []
    for path in files:
        name = f"corpus/{split}/{path.name}"
        try:
            parsed = _CorpusFile.model_validate(_read_yaml(path, name))
        except ValidationError as exc:
            raise CorpusError(f"{name}: {first_error(exc)}") from exc
        for index, row in enumerate(parsed.articles):
            where = f"{name}: articles.{index} ({row.id})"
            gold = tuple(
                _gold(event, row.text, f"{where}.events.{n}") for n, event in enumerate(row.events)
            )
            articles.append(
                Article(
                    row.id, split, row.title, row.text, row.published, gold, row.modelled_on, name
                )
            )
    return articles


def _seed_articles(seeds_dir: Path) -> list[Article]:
    labels = corpus_root().joinpath("seeds.yaml")
    try:
        parsed = _SeedsFile.model_validate(_read_yaml(labels, "corpus/seeds.yaml"))
    except ValidationError as exc:
        raise CorpusError(f"corpus/seeds.yaml: {first_error(exc)}") from exc
    articles: list[Article] = []
    for row in parsed.passages:
        path = seeds_dir / row.seed
        if not path.is_file():
            raise CorpusError(f"corpus/seeds.yaml ({row.id}): seed {path} not found")
        text = path.read_text(encoding="utf-8")
        where = f"corpus/seeds.yaml ({row.id})"
        gold = tuple(_gold(e, text, f"{where}.events.{n}") for n, e in enumerate(row.events))
        articles.append(Article(row.id, "seeds", None, text, row.published, gold, None, str(path)))
    return articles


def load_corpus(split: Split | str, seeds_dir: Path | None = None) -> list[Article]:
    """Load one split of the corpus (``all`` is tune + test; ``seeds`` needs ``seeds_dir``)."""
    split = Split(split)
    if split is Split.SEEDS:
        if seeds_dir is None or not seeds_dir.is_dir():
            raise CorpusError(
                "the seeds split needs the shared sample articles: set NEWSWIRE_SEEDS_DIR "
                "(or --seeds) to their folder"
            )
        return _seed_articles(seeds_dir)
    parts = [Split.TUNE, Split.TEST] if split is Split.ALL else [split]
    articles: list[Article] = []
    for part in parts:
        folder = corpus_root().joinpath(part.value)
        files = sorted(
            (f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name
        )
        articles.extend(load_split_files(part.value, files))
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            raise CorpusError(f"{article.source}: duplicate article id {article.id}")
        seen.add(article.id)
    if not articles:
        raise CorpusError(f"the {split.value} split holds no article")
    return articles


def surname(name: str) -> str:
    """The last word of a name, case- and accent-folded ("Emmanuel Macron" -> "macron")."""
    words = normalize_name(name).replace("'s", "").replace(".", "").split()
    return words[-1] if words else ""


class ParticipantKeys:
    """Turns gold actor names and predicted actors into comparable keys.

    A gold name matches a predicted actor when its surname equals the last word of the actor's
    name or mention, or when the gazetteer resolves the gold name to the actor's id.
    """

    def __init__(self, gazetteer: Gazetteer | None) -> None:
        self._gazetteer = gazetteer

    def gold(self, name: str) -> frozenset[str]:
        """Keys of one gold actor name."""
        keys = {surname(name)}
        if self._gazetteer is not None:
            entry = self._gazetteer.lookup(name)
            if entry is not None:
                keys.add(entry.id)
        keys.discard("")
        return frozenset(keys)

    @staticmethod
    def predicted(event: Event) -> frozenset[str]:
        """Keys of every actor of one predicted event."""
        keys: set[str] = set()
        for actor in event.actors:
            keys.add(actor.id)
            keys.add(surname(actor.name))
            if actor.mention:
                keys.add(surname(actor.mention))
        keys.discard("")
        return frozenset(keys)


def shares_participants(gold: Sequence[frozenset[str]], predicted: frozenset[str]) -> bool:
    """Two gold participants found among the predicted actors, or all of them when fewer."""
    if not gold:
        return False
    shared = sum(1 for keys in gold if keys & predicted)
    return shared >= min(2, len(gold))


def spans_overlap(span: tuple[int, int] | None, start: int, end: int) -> bool:
    """Whether a gold evidence span (None when unlabelled) overlaps ``[start, end)``."""
    return span is not None and span[0] < end and start < span[1]


def _overlaps(span: tuple[int, int] | None, event: Event) -> bool:
    return spans_overlap(span, event.evidence_start, event.evidence_end)


@dataclass
class TypeScore:
    """Counts of one event type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvalReport:
    """The scores of one evaluation run."""

    split: str
    extractor_version: str
    per_type: dict[EventType, TypeScore] = field(
        default_factory=lambda: {t: TypeScore() for t in EventType}
    )
    articles: int = 0
    gold: int = 0
    gold_background: int = 0
    predicted: int = 0
    matched: int = 0
    matched_by_span: int = 0
    modality_correct: int = 0
    date_correct: int = 0
    negatives: int = 0
    negatives_with_events: int = 0
    modality_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def overall(self) -> TypeScore:
        """Micro-averaged counts over every type."""
        total = TypeScore()
        for score in self.per_type.values():
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
        return total

    @staticmethod
    def _ratio(part: int, whole: int) -> float:
        return round(part / whole, 3) if whole else 1.0

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (``--json``); the top-level numbers are a kept contract."""
        overall = self.overall()
        return {
            "split": self.split,
            "extractor_version": self.extractor_version,
            "articles": self.articles,
            "events": self.gold,
            "background_events": self.gold_background,
            "predicted": self.predicted,
            "matched": self.matched,
            "precision": round(overall.precision, 3),
            "recall": round(overall.recall, 3),
            "f1": round(overall.f1, 3),
            "modality_accuracy": self._ratio(self.modality_correct, self.matched),
            "date_accuracy": self._ratio(self.date_correct, self.matched),
            "matched_by_evidence": self._ratio(self.matched_by_span, self.matched),
            "hard_negatives": self.negatives,
            "hard_negatives_with_events": self.negatives_with_events,
            "per_type": {
                t.value: {
                    "gold": s.tp + s.fn,
                    "found": s.tp,
                    "false_alarms": s.fp,
                    "precision": round(s.precision, 3),
                    "recall": round(s.recall, 3),
                    "f1": round(s.f1, 3),
                }
                for t, s in self.per_type.items()
            },
            "modality_confusion": {
                f"{gold}->{pred}": n for (gold, pred), n in sorted(self.modality_confusion.items())
            },
        }

    def to_table(self) -> str:
        """The report as a plain-text table."""
        data = self.to_dict()
        lines = [
            f"split {data['split']}: {data['articles']} articles, {data['events']} gold events "
            f"({data['background_events']} background), extractor {data['extractor_version']}",
            "",
            f"{'type':<22}{'found/gold':>12}{'false':>7}{'precision':>11}{'recall':>8}{'F1':>7}",
        ]
        for name, s in data["per_type"].items():
            found = f"{s['found']} / {s['gold']}"
            lines.append(
                f"{name:<22}{found:>12}{s['false_alarms']:>7}{s['precision']:>11.2f}"
                f"{s['recall']:>8.2f}{s['f1']:>7.2f}"
            )
        found = f"{data['matched']} / {data['events']}"
        false_alarms = data["predicted"] - data["matched"]
        lines.append(
            f"{'all':<22}{found:>12}{false_alarms:>7}{data['precision']:>11.2f}"
            f"{data['recall']:>8.2f}{data['f1']:>7.2f}"
        )
        lines.append("")
        lines.append(f"modality accuracy {data['modality_accuracy']:.2f}")
        lines.append(f"date accuracy     {data['date_accuracy']:.2f}")
        lines.append(
            f"hard negatives with an event: {data['hard_negatives_with_events']} of "
            f"{data['hard_negatives']}"
        )
        return "\n".join(lines)


def _describe(event: Event) -> str:
    actors = ", ".join(a.mention or a.name for a in event.actors)
    return f"{event.type.value} [{actors}] {event.modality.value} | {event.evidence[:110]}"


def score_article(
    report: EvalReport, article: Article, predicted: Sequence[Event], keys: ParticipantKeys
) -> None:
    """Add one article's matches, misses and false alarms to ``report``."""
    report.articles += 1
    report.gold += len(article.events)
    report.gold_background += sum(1 for g in article.events if g.background)
    report.predicted += len(predicted)
    if not article.events:
        report.negatives += 1
        if predicted:
            report.negatives_with_events += 1
    for event_type in EventType:
        score = report.per_type[event_type]
        gold = [g for g in article.events if g.type is event_type]
        pred = [p for p in predicted if p.type is event_type]
        gold_keys = [tuple(keys.gold(name) for name in g.actors) for g in gold]
        pred_keys = [keys.predicted(p) for p in pred]
        pairs: dict[int, int] = {}
        by_span: set[int] = set()
        # Evidence overlap first, then shared participants; predictions in the extractor's order.
        for pi, p in enumerate(pred):
            for gi, g in enumerate(gold):
                if gi not in pairs and _overlaps(g.span, p):
                    pairs[gi] = pi
                    by_span.add(gi)
                    break
        used = set(pairs.values())
        for pi, p in enumerate(pred):
            # A prediction on a gold event's evidence that another prediction took is a second
            # prediction for that event: a false alarm, not a match for some other event.
            if pi in used or any(_overlaps(g.span, p) for g in gold):
                continue
            for gi in range(len(gold)):
                if gi not in pairs and shares_participants(gold_keys[gi], pred_keys[pi]):
                    pairs[gi] = pi
                    used.add(pi)
                    break
        for gi, pi in pairs.items():
            g, p = gold[gi], pred[pi]
            score.tp += 1
            report.matched += 1
            report.matched_by_span += gi in by_span
            report.modality_confusion[(g.modality.value, p.modality.value)] += 1
            if g.modality is p.modality:
                report.modality_correct += 1
            else:
                report.errors.append(
                    f"{article.id}: modality {p.modality.value}, expected {g.modality.value}: "
                    f"{_describe(p)}"
                )
            if g.date == p.event_date:
                report.date_correct += 1
        for gi, g in enumerate(gold):
            if gi not in pairs:
                score.fn += 1
                evidence = article.text[g.span[0] : g.span[1]] if g.span else ""
                report.errors.append(
                    f"{article.id}: missed {event_type.value} {list(g.actors)} "
                    f"{g.modality.value} | {evidence[:110]}"
                )
        for pi, p in enumerate(pred):
            if pi not in used:
                score.fp += 1
                report.errors.append(f"{article.id}: false alarm {_describe(p)}")


def article_input(article: Article) -> ArticleInput:
    """The extractor's input for one corpus article (as ``newswire extract`` would get it)."""
    return ArticleInput.from_text(
        stable_id("corpus", article.id),
        article.text,
        title=article.title,
        published=article.published,
    )


def evaluate(
    extractor: EventExtractor,
    articles: Sequence[Article],
    split: str,
    gazetteer: Gazetteer | None = None,
) -> EvalReport:
    """Run the extractor over every article and score it."""
    keys = ParticipantKeys(gazetteer or extractor.gazetteer)
    report = EvalReport(split=split, extractor_version=extractor.version)
    results = extractor.extract_inputs([article_input(a) for a in articles])
    for article, events in zip(articles, results, strict=True):
        score_article(report, article, events, keys)
    return report
