"""The trained decision stage: which event types a candidate sentence states, and how.

The trigger rules stay as candidate generators; this stage decides. Each parsed candidate
sentence is described by sparse string features (its lemmas and bigrams, the triggers the
lexicon found and their syntax, what the rules concluded, the actors and named entities in it,
where it sits in the article). A linear model per event type gives the probability that the
sentence states an event of that type, and one multinomial model gives the modality. The
weights are a versioned JSON artefact shipped in the package (``data/decision.json``), made by
``make train`` (``python -m newswire.extract.training``) from the corpus's tuning split only.

Inference is plain Python over the features (no training library at run time), and the model is
loaded once per process.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newswire.errors import NewswireError
from newswire.validation import first_error
from schemas.events import EventType, Modality

if TYPE_CHECKING:
    from spacy.tokens import Doc

FEATURES_VERSION = 3
_QUOTES = frozenset('"“”«»')
_MODAL_AUX = frozenset({"will", "would", "could", "may", "might", "should", "can", "must", "shall"})


class DecisionModelError(NewswireError):
    """The decision model file is missing or malformed."""


class _LinearRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    bias: float
    threshold: Annotated[float, Field(ge=0.0, le=1.0)]
    add_threshold: Annotated[float, Field(ge=0.0, le=1.0)]
    # How much a rule mention's own confidence counts next to the model's probability.
    rule_weight: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    weights: dict[str, float]


class _ModalityRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    classes: tuple[Modality, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]


class _ModelFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[str, Field(min_length=1)]
    features_version: int
    trained_on: dict[str, Any]
    types: dict[EventType, _LinearRow]
    modality: _ModalityRow


@dataclass(frozen=True, slots=True)
class SentenceView:
    """What the decision stage sees of one candidate sentence."""

    doc: Doc
    rule_types: Mapping[EventType, Modality]
    trigger_types: frozenset[EventType]
    actor_kinds: tuple[str, ...]
    index: int
    count: int


@functools.cache
def _cue_classes() -> dict[str, tuple[str, ...]]:
    """Each cue word of ``data/cues.yaml`` mapped to the lists that hold it ("modality.hedge")."""
    from newswire.extract.cues import load_cues

    classes: dict[str, list[str]] = {}
    for section, lists in load_cues().model_dump().items():
        if not isinstance(lists, dict):
            continue
        for name, words in lists.items():
            for word in words.keys() if isinstance(words, dict) else words:
                classes.setdefault(str(word), []).append(f"{section}.{name}")
    return {word: tuple(names) for word, names in classes.items()}


def _lower_lemma(token: Any) -> str:
    lemma = str(token.lemma_ or token.text).lower()
    return lemma.replace("’", "'")


def sentence_features(view: SentenceView) -> list[str]:
    """The sparse features of one candidate sentence (shared by training and inference)."""
    doc = view.doc
    features: list[str] = ["bias"]
    words = [t for t in doc if not t.is_punct and not t.is_space]
    lemmas = [_lower_lemma(t) for t in words]
    features.extend(f"w:{lemma}" for lemma in lemmas)
    cue_classes = _cue_classes()
    for lemma in lemmas:
        features.extend(f"c:{name}" for name in cue_classes.get(lemma, ()))
    features.extend(f"b:{a}_{b}" for a, b in itertools.pairwise(lemmas))
    for token in words:
        if token.dep_ == "neg":
            features.append(f"neg:{_lower_lemma(token.head)}")
            features.append("neg")
        if token.dep_ in ("aux", "auxpass") and token.lower_ in _MODAL_AUX:
            features.append(f"aux:{token.lower_}:{_lower_lemma(token.head)}")
        if token.dep_ == "mark" and token.lower_ in ("if", "unless", "once", "whether"):
            features.append(f"mark:{token.lower_}")
    for event_type in view.trigger_types:
        features.append(f"trig:{event_type.value}")
    for span in doc.spans.get("nw_triggers", ()):
        root = span.root
        label = span.label_
        features.append(f"tl:{label}:{_lower_lemma(root)}")
        features.append(f"td:{label}:{root.dep_}")
        features.append(f"tp:{label}:{root.pos_}")
        features.append(f"th:{label}:{_lower_lemma(root.head)}")
        for child in root.children:
            if child.dep_ in ("neg", "aux", "mark", "advmod"):
                features.append(f"tc:{label}:{child.dep_}:{child.lower_}")
    for event_type, modality in view.rule_types.items():
        features.append(f"rule:{event_type.value}")
        features.append(f"rule:{event_type.value}:{modality.value}")
        features.append(f"rm:{modality.value}")
    features.extend(f"actor:{kind}" for kind in view.actor_kinds)
    features.append(f"actors:{min(len(view.actor_kinds), 3)}")
    if any(ch in _QUOTES for ch in doc.text):
        features.append("quote")
    if view.index == 0:
        features.append("pos:lead")
    elif view.index < 3:
        features.append("pos:early")
    elif view.index >= view.count - 2:
        features.append("pos:end")
    features.append(f"len:{min(len(words) // 10, 5)}")
    return features


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


@dataclass(frozen=True, slots=True)
class Decision:
    """The model's reading of one sentence for one event type.

    ``accepted`` says whether the probability alone passes the type's threshold (a rule
    mention stands by :meth:`DecisionModel.accepts`, which blends in the rule's confidence); a
    type the rules did not read is added only at :meth:`DecisionModel.add_threshold`.
    """

    event_type: EventType
    probability: float
    accepted: bool


class DecisionModel:
    """Linear event-type models and a modality model over sentence features."""

    def __init__(self, parsed: _ModelFile, source: str) -> None:
        self.version = parsed.version
        self.source = source
        self.trained_on = dict(parsed.trained_on)
        self._types = dict(parsed.types)
        self._modality = parsed.modality
        # One lookup per feature for all types: a sentence has ~100 features, six types.
        self._order = tuple(self._types)
        by_feature: dict[str, list[float]] = {}
        for k, row in enumerate(self._types.values()):
            for feature, weight in row.weights.items():
                by_feature.setdefault(feature, [0.0] * len(self._order))[k] = weight
        self._by_feature = {f: tuple(w) for f, w in by_feature.items()}

    def decide(self, features: Sequence[str]) -> list[Decision]:
        """The probability of each event type, and whether it passes its threshold."""
        scores = [row.bias for row in self._types.values()]
        for feature in _counts(features):
            weights = self._by_feature.get(feature)
            if weights is not None:
                for k, weight in enumerate(weights):
                    scores[k] += weight
        decisions: list[Decision] = []
        for event_type, score in zip(self._order, scores, strict=True):
            row = self._types[event_type]
            probability = _sigmoid(score)
            decisions.append(Decision(event_type, probability, probability >= row.threshold))
        return decisions

    def accepts(self, decision: Decision, rule_confidence: float) -> bool:
        """Whether a rule mention of ``decision``'s type stands.

        Its score blends the model's probability with the rule's confidence, by the type's
        trained ``rule_weight``; the type's threshold applies to the blend.
        """
        row = self._types.get(decision.event_type)
        if row is None:
            return False
        return blend(decision.probability, rule_confidence, row.rule_weight) >= row.threshold

    def add_threshold(self, event_type: EventType) -> float:
        """The probability a sentence the rules did not read as ``event_type`` needs."""
        row = self._types.get(event_type)
        return 1.0 if row is None else row.add_threshold

    def modality(self, features: Sequence[str], event_type: EventType) -> tuple[Modality, float]:
        """The most likely modality of an event of ``event_type`` stated by the sentence."""
        row = self._modality
        counts = _counts([*features, *modality_features(features, event_type)])
        scores = list(row.bias)
        for feature, n in counts.items():
            weights = row.weights.get(feature)
            if weights is None:
                continue
            for k, weight in enumerate(weights):
                scores[k] += weight * n
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        best = max(range(len(scores)), key=scores.__getitem__)
        return row.classes[best], exps[best] / total


def blend(probability: float, rule_confidence: float, rule_weight: float) -> float:
    """The score of a rule mention: the model's probability and the rule's confidence mixed."""
    return (1.0 - rule_weight) * probability + rule_weight * rule_confidence


def modality_features(features: Iterable[str], event_type: EventType) -> list[str]:
    """Type-specific copies of the features the modality model conditions on the type."""
    prefix = event_type.value
    return [f"{prefix}|{f}" for f in features if f.startswith(("rule:", "tc:", "aux:", "neg"))]


def _counts(features: Iterable[str]) -> dict[str, float]:
    # Presence, not counts: sentence lengths vary too much for counts to carry over.
    return dict.fromkeys(features, 1.0)


def parse_model(data: Any, source: str) -> DecisionModel:
    """Validate a decision model's plain data."""
    try:
        parsed = _ModelFile.model_validate(data)
    except ValidationError as exc:
        raise DecisionModelError(f"{source}: {first_error(exc)}") from exc
    if parsed.features_version != FEATURES_VERSION:
        raise DecisionModelError(
            f"{source}: trained on features v{parsed.features_version}, this code computes "
            f"v{FEATURES_VERSION}: run `make train`"
        )
    width = len(parsed.modality.classes)
    if len(parsed.modality.bias) != width or any(
        len(w) != width for w in parsed.modality.weights.values()
    ):
        raise DecisionModelError(f"{source}: modality weights and classes differ in length")
    return DecisionModel(parsed, source)


def model_path() -> Path:
    """Where the packaged decision model lives."""
    return Path(str(resources.files("newswire.extract").joinpath("data", "decision.json")))


@functools.cache
def load_decision_model(path: str = "") -> DecisionModel:
    """Load (once per process and path) the decision model; the packaged one by default."""
    location = Path(path) if path else model_path()
    try:
        data = json.loads(location.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DecisionModelError(f"{location}: no decision model (run `make train`)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DecisionModelError(f"{location}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise DecisionModelError(f"{location}: not valid JSON: {exc}") from exc
    return parse_model(data, str(location))
