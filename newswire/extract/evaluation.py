"""The labelled development set and its scoring (``newswire eval``).

Passages are YAML files in ``devset/``: our own wire-style passages with their text, and the
shared seed articles cited by file name (read in place, never copied). Gold events name their
actors by gazetteer id or any alias. A predicted event matches a gold event of the same type
when their actor sets overlap enough; extra predictions that overlap an already matched gold
event count as duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newswire.errors import NewswireError
from newswire.extract.extractor import ArticleInput, EventExtractor
from newswire.extract.gazetteer import Gazetteer, load_gazetteer
from newswire.validation import first_error
from schemas.base import stable_id
from schemas.events import Event, EventType, Modality

DEFAULT_DEVSET_DIR = Path(__file__).resolve().parent / "devset"
DEFAULT_SEEDS_DIR = Path(__file__).resolve().parents[3] / "shared" / "seeds"
MATCH_THRESHOLD = 0.34


class DevsetError(NewswireError):
    """A dev-set file is malformed or names an unknown actor or seed."""


class _GoldRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: EventType
    actors: tuple[str, ...]
    modality: Modality
    date: dt.date | None = None
    historical: bool = False
    note: str | None = None


class _PassageRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1)]
    published: dt.date | None = None
    text: str | None = None
    seed: str | None = None
    note: str | None = None
    events: tuple[_GoldRow, ...] = ()


class _DevsetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    passages: tuple[_PassageRow, ...]


@dataclass(frozen=True, slots=True)
class GoldEvent:
    """One labelled event."""

    type: EventType
    actor_ids: frozenset[str]
    modality: Modality
    date: dt.date | None
    historical: bool


@dataclass(frozen=True, slots=True)
class Passage:
    """One labelled passage (ours, or a seed read in place)."""

    id: str
    text: str
    published: dt.date | None
    events: tuple[GoldEvent, ...]
    source: str


def _resolve_actor(gazetteer: Gazetteer, name: str, where: str) -> str:
    entry = gazetteer.lookup(name)
    if entry is None:
        raise DevsetError(f"{where}: unknown actor {name!r} (not in the gazetteer)")
    return entry.id


def load_devset(folder: Path, seeds_dir: Path, gazetteer: Gazetteer | None = None) -> list[Passage]:
    """Load every ``*.yaml`` file of ``folder``; seed passages are read from ``seeds_dir``."""
    gazetteer = gazetteer or load_gazetteer()
    if not folder.is_dir():
        raise DevsetError(f"{folder}: no such folder")
    passages: list[Passage] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.yaml")):
        try:
            parsed = _DevsetFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            raise DevsetError(f"{path}: not valid YAML: {exc}") from exc
        except ValidationError as exc:
            raise DevsetError(f"{path}: {first_error(exc)}") from exc
        for index, row in enumerate(parsed.passages):
            where = f"{path.name}: passages.{index} ({row.id})"
            if row.id in seen:
                raise DevsetError(f"{where}: duplicate passage id")
            seen.add(row.id)
            if (row.text is None) == (row.seed is None):
                raise DevsetError(f"{where}: give exactly one of text and seed")
            if row.seed is not None:
                seed_path = seeds_dir / row.seed
                if not seed_path.is_file():
                    raise DevsetError(f"{where}: seed {seed_path} not found")
                text = seed_path.read_text(encoding="utf-8")
            else:
                text = row.text or ""
            gold = tuple(
                GoldEvent(
                    type=event.type,
                    actor_ids=frozenset(
                        _resolve_actor(gazetteer, name, f"{where}.events.{n}")
                        for name in event.actors
                    ),
                    modality=event.modality,
                    date=event.date,
                    historical=event.historical,
                )
                for n, event in enumerate(row.events)
            )
            passages.append(Passage(row.id, text, row.published, gold, path.name))
    return passages


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


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

    per_type: dict[EventType, TypeScore] = field(default_factory=dict)
    matched: int = 0
    modality_correct: int = 0
    actors_exact: int = 0
    date_correct: int = 0
    predicted: int = 0
    duplicates: int = 0
    negatives: int = 0
    negatives_with_events: int = 0
    passages: int = 0
    gold: int = 0
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

    def _ratio(self, part: int, whole: int) -> float:
        return round(part / whole, 3) if whole else 1.0

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (for ``--json``)."""
        overall = self.overall()
        return {
            "passages": self.passages,
            "gold_events": self.gold,
            "predicted_events": self.predicted,
            "per_type": {
                t.value: {
                    "precision": round(s.precision, 3),
                    "recall": round(s.recall, 3),
                    "f1": round(s.f1, 3),
                    "tp": s.tp,
                    "fp": s.fp,
                    "fn": s.fn,
                }
                for t, s in self.per_type.items()
            },
            "overall": {
                "precision": round(overall.precision, 3),
                "recall": round(overall.recall, 3),
                "f1": round(overall.f1, 3),
            },
            "modality_accuracy": self._ratio(self.modality_correct, self.matched),
            "actor_accuracy": self._ratio(self.actors_exact, self.matched),
            "date_accuracy": self._ratio(self.date_correct, self.matched),
            "duplicate_rate": self._ratio(self.duplicates, self.predicted),
            "hard_negatives": {
                "passages": self.negatives,
                "with_events": self.negatives_with_events,
            },
            "modality_confusion": {
                f"{gold}->{pred}": n for (gold, pred), n in sorted(self.modality_confusion.items())
            },
        }

    def to_table(self) -> str:
        """The report as a plain-text table."""
        data = self.to_dict()
        lines = [f"{'type':<22}{'precision':>10}{'recall':>8}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}"]
        for name, s in data["per_type"].items():
            lines.append(
                f"{name:<22}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}"
                f"{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}"
            )
        o = data["overall"]
        lines.append(
            f"{'overall (micro)':<22}{o['precision']:>10.3f}{o['recall']:>8.3f}{o['f1']:>7.3f}"
        )
        lines.append("")
        lines.append(
            f"passages {data['passages']}, gold events {data['gold_events']}, "
            f"predicted {data['predicted_events']}"
        )
        lines.append(f"modality accuracy  {data['modality_accuracy']:.3f}")
        lines.append(f"actor accuracy     {data['actor_accuracy']:.3f}")
        lines.append(f"date accuracy      {data['date_accuracy']:.3f}")
        lines.append(f"duplicate rate     {data['duplicate_rate']:.3f}")
        neg = data["hard_negatives"]
        lines.append(f"hard negatives with events: {neg['with_events']} of {neg['passages']}")
        return "\n".join(lines)


def score_passage(report: EvalReport, passage: Passage, predicted: Sequence[Event]) -> None:
    """Add one passage's matches to ``report``."""
    report.passages += 1
    report.gold += len(passage.events)
    report.predicted += len(predicted)
    if not passage.events:
        report.negatives += 1
        if predicted:
            report.negatives_with_events += 1
    for event_type in EventType:
        score = report.per_type.setdefault(event_type, TypeScore())
        gold = [g for g in passage.events if g.type is event_type]
        pred = [p for p in predicted if p.type is event_type]
        # Best actor overlap first; among equals, agreeing modality and date, then text order.
        pairs = sorted(
            (
                (
                    -_jaccard(g.actor_ids, frozenset(a.id for a in p.actors)),
                    g.modality is not p.modality,
                    g.date != p.event_date,
                    gi,
                    pi,
                )
                for gi, g in enumerate(gold)
                for pi, p in enumerate(pred)
            ),
        )
        gold_done: set[int] = set()
        pred_done: set[int] = set()
        for negative_overlap, _, _, gi, pi in pairs:
            overlap = -negative_overlap
            if overlap < MATCH_THRESHOLD or gi in gold_done or pi in pred_done:
                continue
            gold_done.add(gi)
            pred_done.add(pi)
            g, p = gold[gi], pred[pi]
            score.tp += 1
            report.matched += 1
            report.modality_confusion[(g.modality.value, p.modality.value)] += 1
            if g.modality is p.modality:
                report.modality_correct += 1
            else:
                report.errors.append(
                    f"{passage.id}: {event_type.value} modality {p.modality.value}, "
                    f"expected {g.modality.value}"
                )
            if g.actor_ids == frozenset(a.id for a in p.actors):
                report.actors_exact += 1
            else:
                report.errors.append(
                    f"{passage.id}: {event_type.value} actors "
                    f"{sorted(a.id for a in p.actors)}, expected {sorted(g.actor_ids)}"
                )
            if g.date == p.event_date:
                report.date_correct += 1
            else:
                report.errors.append(
                    f"{passage.id}: {event_type.value} date {p.event_date}, expected {g.date}"
                )
        for gi, g in enumerate(gold):
            if gi not in gold_done:
                score.fn += 1
                report.errors.append(
                    f"{passage.id}: missed {event_type.value} {sorted(g.actor_ids)} {g.modality.value}"
                )
        for pi, p in enumerate(pred):
            if pi in pred_done:
                continue
            score.fp += 1
            ids = frozenset(a.id for a in p.actors)
            if any(_jaccard(gold[gi].actor_ids, ids) > 0 for gi in gold_done):
                report.duplicates += 1
            report.errors.append(
                f"{passage.id}: spurious {event_type.value} {sorted(ids)} {p.modality.value}"
                f" | {p.evidence[:90]}"
            )


def evaluate(extractor: EventExtractor, passages: Sequence[Passage]) -> EvalReport:
    """Run the extractor over every passage and score it."""
    items = [
        ArticleInput.from_text(stable_id("devset", p.id), p.text, published=p.published)
        for p in passages
    ]
    report = EvalReport()
    for passage, events in zip(passages, extractor.extract_inputs(items), strict=True):
        score_passage(report, passage, events)
    return report
