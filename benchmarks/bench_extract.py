"""Event extraction throughput against a naive spaCy baseline, measured in the same run.

Data (nothing generated here, nothing from the test split or the shared seeds):

- on-topic: the corpus's tuning split (``load_corpus(Split.TUNE)``), the articles that carry at
  least one gold event, given to the extractor as ``article_input`` builds them;
- off-topic: the general news articles in ``benchmarks/data/offtopic/*.yaml`` (all files),
  cycled to the requested count with distinct ids.

Measurements, in one process, after warming both pipelines outside the timed part:

- baseline: the same spaCy model (``ExtractSettings().model``, all its components) with
  ``nlp.pipe`` over every full text;
- ours: ``EventExtractor(settings).open().extract_inputs`` over chunks of ``articles_per_chunk``
  articles, as the pipeline does (pre-filter, parse of candidate sentences only, rules,
  merging, Event records).

Both see exactly the same on-topic texts; the ratio is ours / baseline in articles per second.
A mixed stream of 90% off-topic and 10% on-topic articles goes through ours only (the
baseline too with ``--mixed-baseline``). Also reported: the process's peak resident memory and
the extractor's version string.

Goals: on-topic >= 3x the baseline's articles/s; mixed stream >= 100 articles/s.

Run: ``.venv/bin/python benchmarks/bench_extract.py [--on-topic N] [--mixed N] [--json]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
import yaml

from newswire.extract.evaluation import Split, article_input, load_corpus
from newswire.extract.extractor import ArticleInput, EventExtractor
from newswire.extract.settings import ExtractSettings
from schemas.base import stable_id

OFFTOPIC_DIR = Path(__file__).resolve().parent / "data" / "offtopic"
MIN_OFFTOPIC = 20
ON_TOPIC_RATIO_GOAL = 3.0
MIXED_RATE_GOAL = 100.0


class BenchDataError(SystemExit):
    """The benchmark's data cannot be loaded (exits with the message)."""


@dataclass(frozen=True, slots=True)
class OffTopicArticle:
    """One off-topic article from ``benchmarks/data/offtopic``."""

    id: str
    title: str | None
    published: dt.date | None
    text: str


def load_offtopic(folder: Path = OFFTOPIC_DIR) -> list[OffTopicArticle]:
    """Every article of every ``*.yaml`` file in ``folder``, checked for distinct ids."""
    articles: list[OffTopicArticle] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rows = data.get("articles") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BenchDataError(f"{path}: expected a top-level 'articles' list")
        for index, row in enumerate(rows):
            if not isinstance(row, dict) or not row.get("id") or not row.get("text"):
                raise BenchDataError(f"{path}: article #{index} needs an 'id' and a 'text'")
            article_id = str(row["id"])
            if article_id in seen:
                raise BenchDataError(f"{path}: duplicate off-topic article id {article_id}")
            seen.add(article_id)
            published = row.get("published")
            articles.append(
                OffTopicArticle(
                    article_id,
                    row.get("title"),
                    published if isinstance(published, dt.date) else None,
                    str(row["text"]),
                )
            )
    return articles


def _cycle(items: Sequence[ArticleInput], count: int, tag: str) -> list[ArticleInput]:
    """``count`` inputs taken round-robin from ``items``; every copy gets a distinct id."""
    out: list[ArticleInput] = []
    for n in range(count):
        item = items[n % len(items)]
        lap = n // len(items)
        if lap == 0:
            out.append(item)
            continue
        article_id = stable_id("bench", tag, item.facts.article_id, str(lap))
        out.append(
            ArticleInput.from_text(
                article_id, item.text, title=item.facts.title, published=item.published
            )
        )
    return out


def on_topic_inputs() -> list[ArticleInput]:
    """The tuning-split articles that carry gold events, as the extractor gets them."""
    articles = [a for a in load_corpus(Split.TUNE) if a.events]
    if not articles:
        raise BenchDataError("the tuning split holds no article with events")
    return [article_input(a) for a in articles]


def off_topic_inputs(folder: Path = OFFTOPIC_DIR) -> list[ArticleInput]:
    """The distinct off-topic articles; fails if fewer than 20 exist."""
    articles = load_offtopic(folder)
    if len(articles) < MIN_OFFTOPIC:
        raise BenchDataError(
            f"{folder}: {len(articles)} off-topic article(s) found, at least {MIN_OFFTOPIC} "
            "needed (add *.yaml files with an 'articles' list of id/title/published/text)"
        )
    return [
        ArticleInput.from_text(
            stable_id("bench", "off", a.id), a.text, title=a.title, published=a.published
        )
        for a in articles
    ]


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def run_baseline(nlp: Any, texts: Sequence[str], batch_size: int) -> int:
    """Parse every full text with the whole model; returns the number of tokens."""
    return sum(len(doc) for doc in nlp.pipe(texts, batch_size=batch_size))


def run_ours(extractor: EventExtractor, items: Sequence[ArticleInput]) -> list[list[Any]]:
    """Extract in chunks of ``articles_per_chunk`` articles, as the pipeline does."""
    size = extractor.settings.articles_per_chunk
    results: list[list[Any]] = []
    for start in range(0, len(items), size):
        results.extend(extractor.extract_inputs(items[start : start + size]))
    return results


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print a table (or one JSON object with ``--json``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--on-topic",
        type=int,
        default=None,
        metavar="N",
        help="On-topic articles (default: every tuning article with events; cycled if larger).",
    )
    parser.add_argument(
        "--mixed", type=int, default=1000, metavar="N", help="Articles in the mixed stream."
    )
    parser.add_argument("--seed", type=int, default=7, help="Shuffle seed of the mixed stream.")
    parser.add_argument(
        "--mixed-baseline", action="store_true", help="Also time the baseline on the mixed stream."
    )
    parser.add_argument("--json", action="store_true", help="Print one JSON object only.")
    args = parser.parse_args(argv)
    if args.on_topic is not None and args.on_topic < 1:
        parser.error("--on-topic must be >= 1")
    if args.mixed < 10:
        parser.error("--mixed must be >= 10")

    tune = on_topic_inputs()
    offtopic = off_topic_inputs()
    on_topic = tune if args.on_topic is None else _cycle(tune, args.on_topic, "on")
    on_count = max(1, round(args.mixed * 0.1))
    off_items = _cycle(offtopic, args.mixed - on_count, "off")
    mixed_on = _cycle(tune, on_count, "mixed")
    mixed = [*off_items, *mixed_on]
    random.Random(args.seed).shuffle(mixed)
    off_ids = {item.facts.article_id for item in off_items}

    settings = ExtractSettings()
    baseline_nlp = spacy.load(settings.model)
    extractor = EventExtractor(settings).open()
    # Warm both pipelines (model loading, first-call caches) outside the timed part.
    warm = [*on_topic[:8], *off_items[:8]]
    run_baseline(baseline_nlp, [item.text for item in warm], settings.batch_size)
    run_ours(extractor, warm)

    on_texts = [item.text for item in on_topic]
    base_s, _tokens = _timed(lambda: run_baseline(baseline_nlp, on_texts, settings.batch_size))
    ours_s, on_results = _timed(lambda: run_ours(extractor, on_topic))
    mixed_s, mixed_results = _timed(lambda: run_ours(extractor, mixed))
    mixed_base_rate: float | None = None
    if args.mixed_baseline:
        mixed_texts = [item.text for item in mixed]
        mixed_base_s, _ = _timed(
            lambda: run_baseline(baseline_nlp, mixed_texts, settings.batch_size)
        )
        mixed_base_rate = _rate(len(mixed), mixed_base_s)

    base_rate = _rate(len(on_topic), base_s)
    ours_rate = _rate(len(on_topic), ours_s)
    ratio = round(ours_rate / base_rate, 2)
    mixed_rate = _rate(len(mixed), mixed_s)
    off_events = sum(
        len(events)
        for item, events in zip(mixed, mixed_results, strict=True)
        if item.facts.article_id in off_ids
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    report: dict[str, Any] = {
        "model": settings.model,
        "extractor_version": extractor.version,
        "on_topic": {
            "articles": len(on_topic),
            "words": sum(len(t.split()) for t in on_texts),
            "baseline_articles_per_s": base_rate,
            "ours_articles_per_s": ours_rate,
            "ratio": ratio,
            "events": sum(len(events) for events in on_results),
        },
        "mixed": {
            "articles": len(mixed),
            "off_topic": len(off_items),
            "off_topic_distinct": len(offtopic),
            "on_topic": len(mixed_on),
            "words": sum(len(item.text.split()) for item in mixed),
            "ours_articles_per_s": mixed_rate,
            "baseline_articles_per_s": mixed_base_rate,
            "events": sum(len(events) for events in mixed_results),
            "events_in_off_topic": off_events,
        },
        "goals": {
            "on_topic_ratio_ge_3": ratio >= ON_TOPIC_RATIO_GOAL,
            "mixed_articles_per_s_ge_100": mixed_rate >= MIXED_RATE_GOAL,
        },
        "peak_rss_mb": round(peak_mb, 1),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    on, mx, goals = report["on_topic"], report["mixed"], report["goals"]
    print(f"model {settings.model}; extractor {extractor.version}")
    print(
        f"on-topic (tune split, {on['articles']} articles, {on['words']} words, "
        f"{on['events']} events found)"
    )
    print(f"  baseline nlp.pipe   {on['baseline_articles_per_s']:>9} articles/s")
    print(f"  ours                {on['ours_articles_per_s']:>9} articles/s")
    print(
        f"  ratio               {on['ratio']:>9}x   goal >= {ON_TOPIC_RATIO_GOAL:g}x  "
        f"{'met' if goals['on_topic_ratio_ge_3'] else 'NOT MET'}"
    )
    print(
        f"mixed stream ({mx['articles']} articles: {mx['off_topic']} off-topic from "
        f"{mx['off_topic_distinct']} distinct, {mx['on_topic']} on-topic; {mx['words']} words)"
    )
    print(
        f"  ours                {mx['ours_articles_per_s']:>9} articles/s   goal >= "
        f"{MIXED_RATE_GOAL:g}/s  {'met' if goals['mixed_articles_per_s_ge_100'] else 'NOT MET'}"
    )
    if mixed_base_rate is not None:
        print(f"  baseline nlp.pipe   {mixed_base_rate:>9} articles/s")
    print(f"  events {mx['events']} ({mx['events_in_off_topic']} in off-topic articles)")
    print(f"peak RSS {report['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
