"""Train the decision stage on the corpus's tuning split (``make train``).

Reproducible: the same corpus, features and code give the same ``data/decision.json``. Only the
tuning split is read; the test split is never seen here. Steps:

1. Run the rules-only extractor's candidate path over every tuning article.
2. Label each parsed sentence per event type: positive when it overlaps a gold evidence span of
   that type; left out for that type when it does not, but the rules read it as that type with
   the gold event's participants (a repeated mention of a labelled event: neither right nor
   wrong); negative otherwise.
3. Fit one logistic regression per type and one multinomial modality model (scikit-learn, a
   development dependency; inference needs none).
4. Pick each type's thresholds on out-of-fold predictions (folds by article), one for sentences
   the rules already read as that type and a stricter one for sentences they did not.

Usage: ``python -m newswire.extract.training [--output PATH] [--folds N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newswire.extract.decision import (
    FEATURES_VERSION,
    blend,
    modality_features,
    model_path,
    parse_model,
    sentence_features,
)
from newswire.extract.evaluation import (
    Article,
    EvalReport,
    ParticipantKeys,
    Split,
    article_input,
    load_corpus,
    score_article,
    shares_participants,
    spans_overlap,
)
from newswire.extract.extractor import EventExtractor, ParsedSentence
from newswire.extract.settings import ExtractSettings
from schemas.events import EventType, Modality

REGULARISATION = 2.0
MIN_FEATURE_COUNT = 2
RULE_FLOOR = 0.2
RULE_WEIGHTS = (0.0, 0.25, 0.5, 0.75)


@dataclass(frozen=True, slots=True)
class Sample:
    """One parsed candidate sentence with its labels."""

    article: int
    features: tuple[str, ...]
    positive: frozenset[EventType]
    ignored: frozenset[EventType]
    ruled: frozenset[EventType]
    rule_confidence: dict[EventType, float]
    modality: dict[EventType, Modality]


def parse_articles(
    extractor: EventExtractor, articles: Sequence[Article]
) -> list[list[ParsedSentence]]:
    """The parsed candidate sentences of every article (the costly step, done once)."""
    parsed: list[list[ParsedSentence]] = []
    chunk = 32
    for offset in range(0, len(articles), chunk):
        batch = articles[offset : offset + chunk]
        parsed.extend(extractor.parsed_sentences([article_input(a) for a in batch]))
    return parsed


def article_samples(
    keys: ParticipantKeys, number: int, article: Article, sentences: Sequence[ParsedSentence]
) -> list[Sample]:
    """The labelled samples of one article's parsed sentences (``number``: its fold key)."""
    samples: list[Sample] = []
    for sentence in sentences:
        start, end = sentence.candidate.span.start, sentence.candidate.span.end
        positive: set[EventType] = set()
        modality: dict[EventType, Modality] = {}
        for gold in article.events:
            if spans_overlap(gold.span, start, end):
                positive.add(gold.type)
                modality.setdefault(gold.type, gold.modality)
        ignored: set[EventType] = set()
        for mention in sentence.doc._.nw_mentions or ():
            if mention.event_type in positive:
                continue
            predicted = frozenset(
                k
                for entry, text in zip(mention.actors, mention.actor_texts, strict=False)
                for k in (entry.id, *keys.gold(text), *keys.gold(entry.name))
            )
            for gold in article.events:
                gold_keys = [keys.gold(name) for name in gold.actors]
                if gold.type is mention.event_type and shares_participants(gold_keys, predicted):
                    ignored.add(gold.type)
        samples.append(
            Sample(
                number,
                tuple(sentence_features(sentence.view)),
                frozenset(positive),
                frozenset(ignored),
                frozenset(sentence.view.rule_types),
                _rule_confidence(sentence),
                modality,
            )
        )
    return samples


def _rule_confidence(sentence: ParsedSentence) -> dict[EventType, float]:
    """The best confidence of the sentence's rule mentions, per type."""
    best: dict[EventType, float] = {}
    for mention in sentence.doc._.nw_mentions or ():
        best[mention.event_type] = max(best.get(mention.event_type, 0.0), mention.confidence)
    return best


def build_samples(
    extractor: EventExtractor,
    articles: Sequence[Article],
    parsed: Sequence[Sequence[ParsedSentence]] | None = None,
) -> list[Sample]:
    """Every candidate sentence of ``articles`` with its per-type labels."""
    keys = ParticipantKeys(extractor.gazetteer)
    if parsed is None:
        parsed = parse_articles(extractor, articles)
    samples: list[Sample] = []
    for number, (article, sentences) in enumerate(zip(articles, parsed, strict=True)):
        samples.extend(article_samples(keys, number, article, sentences))
    return samples


def _vocabulary(rows: Sequence[Sequence[str]]) -> dict[str, int]:
    """Column of each feature seen in at least ``MIN_FEATURE_COUNT`` rows, in sorted order."""
    counts: dict[str, int] = {}
    for row in rows:
        for feature in set(row):
            counts[feature] = counts.get(feature, 0) + 1
    kept = sorted(f for f, n in counts.items() if n >= MIN_FEATURE_COUNT)
    return {f: i for i, f in enumerate(kept)}


def _matrix(rows: Sequence[Sequence[str]], vocabulary: dict[str, int]) -> Any:
    from scipy.sparse import csr_matrix

    indptr = [0]
    indices: list[int] = []
    for row in rows:
        columns = sorted({vocabulary[f] for f in row if f in vocabulary})
        indices.extend(columns)
        indptr.append(len(indices))
    data = [1.0] * len(indices)
    return csr_matrix((data, indices, indptr), shape=(len(rows), len(vocabulary)))


def _best_blend(
    probabilities: Sequence[float], confidences: Sequence[float], labels: Sequence[bool]
) -> tuple[float, float]:
    """The rule weight and threshold whose blended scores give the best F1 on rule mentions.

    Ties go to the smaller rule weight (the model alone when the rules add nothing).
    """
    best: tuple[float, float, float] | None = None
    for rule_weight in RULE_WEIGHTS:
        scores = [blend(p, c, rule_weight) for p, c in zip(probabilities, confidences, strict=True)]
        threshold, f1 = _threshold_f1(scores, labels, RULE_FLOOR)
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, rule_weight, threshold)
    assert best is not None
    return best[1], best[2]


def _best_threshold(scores: Sequence[float], labels: Sequence[bool], floor: float) -> float:
    """The threshold with the best F1 (ties to the higher one), never below ``floor``."""
    return _threshold_f1(scores, labels, floor)[0]


def _threshold_f1(
    scores: Sequence[float], labels: Sequence[bool], floor: float
) -> tuple[float, float]:
    """The threshold with the best F1 (ties to the higher one) and that F1."""
    best, best_f1 = 0.5, -1.0
    total_pos = sum(labels)
    for step in range(10, 96):
        threshold = max(step / 100, floor)
        tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
        fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / total_pos if total_pos else 1.0
        f = 2 * precision * recall / (precision + recall) if tp else 0.0
        if f >= best_f1:
            best, best_f1 = threshold, f
    return best, best_f1


def _fit_binary(x: Any, y: Sequence[int]) -> Any:
    from sklearn.linear_model import LogisticRegression

    # Balanced class weights: positives are rare among candidates, and without them the
    # out-of-fold probabilities stay too low for any threshold to recover recall.
    model = LogisticRegression(
        C=REGULARISATION,
        max_iter=2000,
        solver="liblinear",
        class_weight="balanced",
        random_state=0,
    )
    model.fit(x, y)
    return model


def train(
    articles: Sequence[Article],
    folds: int = 5,
    *,
    extractor: EventExtractor | None = None,
    parsed: Sequence[Sequence[ParsedSentence]] | None = None,
) -> dict[str, Any]:
    """Fit the decision model on ``articles`` and return its JSON-ready data.

    ``extractor`` (rules only) and ``parsed`` (its parse of ``articles``) may be given to save
    parsing again; the result is the same.
    """
    extractor = extractor or EventExtractor(ExtractSettings(decide=False)).open()
    samples = build_samples(extractor, articles, parsed)
    vocabulary = _vocabulary([s.features for s in samples])
    names = sorted(vocabulary, key=vocabulary.__getitem__)
    types: dict[str, Any] = {}
    for event_type in EventType:
        rows = [s for s in samples if event_type not in s.ignored]
        x = _matrix([s.features for s in rows], vocabulary)
        y = [int(event_type in s.positive) for s in rows]
        if sum(y) < 3:
            types[event_type.value] = {
                "bias": -10.0,
                "threshold": 1.0,
                "add_threshold": 1.0,
                "weights": {},
            }
            continue
        oof = [0.0] * len(rows)
        for fold in range(folds):
            train_idx = [i for i, s in enumerate(rows) if s.article % folds != fold]
            test_idx = [i for i, s in enumerate(rows) if s.article % folds == fold]
            if not test_idx or len({y[i] for i in train_idx}) < 2:
                continue
            model = _fit_binary(x[train_idx], [y[i] for i in train_idx])
            for i, p in zip(test_idx, model.predict_proba(x[test_idx])[:, 1], strict=True):
                oof[i] = float(p)
        ruled = [i for i, s in enumerate(rows) if event_type in s.ruled]
        other = [i for i, s in enumerate(rows) if event_type not in s.ruled]
        rule_weight, threshold = _best_blend(
            [oof[i] for i in ruled],
            [rows[i].rule_confidence.get(event_type, 0.0) for i in ruled],
            [bool(y[i]) for i in ruled],
        )
        add = _best_threshold([oof[i] for i in other], [bool(y[i]) for i in other], 0.5)
        model = _fit_binary(x, y)
        weights = {
            names[j]: round(float(w), 5) for j, w in enumerate(model.coef_[0]) if abs(w) >= 1e-4
        }
        types[event_type.value] = {
            "bias": round(float(model.intercept_[0]), 5),
            "threshold": threshold,
            "add_threshold": add,
            "rule_weight": rule_weight,
            "weights": weights,
        }
    modality = _train_modality(samples)
    corpus_digest = hashlib.sha256(
        "\n".join(
            f"{a.id}:{hashlib.sha256(a.text.encode()).hexdigest()}" for a in articles
        ).encode()
    ).hexdigest()
    body = {"features_version": FEATURES_VERSION, "types": types, "modality": modality}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:10]
    return {
        "version": f"{FEATURES_VERSION}.{digest}",
        "features_version": FEATURES_VERSION,
        "trained_on": {
            "split": Split.TUNE.value,
            "articles": len(articles),
            "sentences": len(samples),
            "corpus_sha256": corpus_digest,
            "extractor_version": extractor.version,
        },
        "types": types,
        "modality": modality,
    }


def _train_modality(samples: Sequence[Sample]) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    rows: list[list[str]] = []
    labels: list[str] = []
    for sample in samples:
        for event_type, modality in sorted(sample.modality.items()):
            rows.append([*sample.features, *modality_features(sample.features, event_type)])
            labels.append(modality.value)
    vocabulary = _vocabulary(rows)
    names = sorted(vocabulary, key=vocabulary.__getitem__)
    x = _matrix(rows, vocabulary)
    classes = [m.value for m in Modality]
    present = sorted(set(labels), key=classes.index)
    model = LogisticRegression(C=1.0, max_iter=3000, random_state=0)
    model.fit(x, labels)
    order = [list(model.classes_).index(c) for c in present]
    weights: dict[str, list[float]] = {}
    for j, name in enumerate(names):
        column = [round(float(model.coef_[k][j]), 5) for k in order]
        if any(abs(w) >= 1e-4 for w in column):
            weights[name] = column
    return {
        "classes": present,
        "bias": [round(float(model.intercept_[k]), 5) for k in order],
        "weights": weights,
    }


def cross_validate(articles: Sequence[Article], folds: int = 5) -> EvalReport:
    """Out-of-fold scores on ``articles``: each fold scored by a model trained on the others.

    This is the figure to tune by (the in-sample score of a trained model flatters it); the
    test split is scored separately, by ``newswire eval --split test``, and never here. The
    articles are parsed once: the parse does not depend on the decision model.
    """
    rules_only = EventExtractor(ExtractSettings(decide=False)).open()
    keys = ParticipantKeys(rules_only.gazetteer)
    parsed = parse_articles(rules_only, articles)
    report = EvalReport(split="tune (cross-validated)", extractor_version="")
    for fold in range(folds):
        held = [n for n in range(len(articles)) if n % folds == fold]
        kept = [n for n in range(len(articles)) if n % folds != fold]
        data = train(
            [articles[n] for n in kept],
            folds=folds,
            extractor=rules_only,
            parsed=[parsed[n] for n in kept],
        )
        decider = parse_model(data, f"fold {fold}")
        extractor = rules_only.with_decider(decider)
        report.extractor_version = extractor.version
        for n in held:
            article = articles[n]
            events = extractor.events_from_parsed(article_input(article), parsed[n])
            score_article(report, article, events, keys)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (``make train``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=model_path())
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--cross-validate",
        action="store_true",
        help="Print out-of-fold scores on the tuning split instead of writing a model.",
    )
    parser.add_argument("--errors", action="store_true", help="With --cross-validate: list errors.")
    args = parser.parse_args(argv)
    articles = load_corpus(Split.TUNE)
    if args.cross_validate:
        report = cross_validate(articles, folds=args.folds)
        print(report.to_table())
        if args.errors:
            print("\n".join(report.errors))
        return 0
    data = train(articles, folds=args.folds)
    args.output.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    trained = data["trained_on"]
    print(
        f"trained decision model {data['version']} on {trained['articles']} articles "
        f"({trained['sentences']} candidate sentences) -> {args.output}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
