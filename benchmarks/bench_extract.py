"""Event extraction throughput against a naive spaCy baseline, measured in the same run.

Corpus (built here, deterministic): on-topic articles (about 500 words, like a wire story)
assemble 2-3 of our own dev-set passages (newswire/extract/devset, never the shared seeds) with
14-22 background sentences of the kind wire stories carry (context, figures, reactions without a
named actor and an event); off-topic articles are varied plain
sentences about weather, sport, business, science and culture, some naming countries or
cities. Both baselines and our extractor see exactly the same texts.

- baseline: the same spaCy model (all its components) over every full text with ``nlp.pipe``;
- ours: ``EventExtractor.extract_inputs`` (pre-filter, parse of candidate sentences only,
  rules, merging, Event records).

Goals: (a) on-topic articles >= 3x the baseline's articles/s; (b) a mixed stream with 90%
off-topic articles >= 100 articles/s. Also prints the peak resident memory of the process.

Run: ``.venv/bin/python benchmarks/bench_extract.py [--on-topic N] [--mixed N] [--json]``
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import spacy
import yaml

from newswire.extract.extractor import ArticleInput, EventExtractor
from newswire.extract.settings import ExtractSettings
from schemas.base import stable_id

DEVSET = Path(__file__).resolve().parents[1] / "newswire" / "extract" / "devset"

BACKGROUND = [
    "The war has displaced millions of people and destroyed large parts of the east.",
    "Energy prices across the continent have risen sharply since the winter.",
    "Officials said the figures could not be independently verified.",
    "The conflict has become the deadliest in Europe since the Second World War.",
    "Analysts expect negotiations, if they resume, to take months.",
    "Inflation in the euro zone eased slightly in the latest quarter.",
    "Reporters were not allowed to visit the area, citing security concerns.",
    "Public opinion polls show support for continued aid has slipped this year.",
    "Several ministers declined to comment when approached by reporters.",
    "Shares in defence companies rose by more than two percent in early trading.",
    "The front line has barely moved in more than a year of attritional fighting.",
    "Aid agencies say winter will be especially hard for families without heating.",
    "The government has repeatedly said it will not give up any of its territory.",
    "Diplomats cautioned that any agreement would need parliamentary approval.",
    "Markets reacted calmly, with bond yields little changed by the afternoon.",
    "Humanitarian groups have called for safe corridors for civilians.",
    "The issue is expected to dominate the agenda of next month's gathering.",
    "Some lawmakers questioned whether the plan could be financed.",
    "Power cuts lasted up to twelve hours in some districts overnight.",
    "The ministry did not respond to a request for comment.",
    "Grain exports through the southern ports have recovered in recent months.",
    "Critics argue that the strategy lacks a clear end goal.",
    "The country's economy shrank sharply in the first year of the war.",
    "A spokesperson said more details would be released in due course.",
    "Thousands of volunteers have joined local defence units since the invasion.",
    "The summit communique was still being negotiated late into the night.",
    "Observers noted that turnout at the rally was lower than last year.",
    "Insurance costs for shipping in the region have tripled.",
    "The opposition accused the government of moving too slowly.",
    "Security was tight around the venue, with roads closed for several hours.",
]

OFF_TOPIC_SUBJECTS = [
    "The city council",
    "A local bakery",
    "The national weather service",
    "Researchers at the university",
    "The football club",
    "Shoppers in the high street",
    "The museum",
    "A small software company",
    "Farmers in the valley",
    "The orchestra",
    "Commuters",
    "The central bank of Chile",
]
OFF_TOPIC_PREDICATES = [
    "reported a quiet start to the summer season",
    "opened a new exhibition of modern sculpture",
    "announced plans to extend opening hours on weekends",
    "said rainfall had been well above average for the month",
    "won their third match in a row after a late goal",
    "published a study on sleep and memory in older adults",
    "raised its forecast for annual revenue",
    "warned of delays on the northern rail line",
    "celebrated a record harvest of apples and pears",
    "held interest rates steady at its monthly meeting",
    "unveiled a cheaper version of its popular phone",
    "reopened the park after repairs to the lake",
]
OFF_TOPIC_TAILS = [
    "",
    " on Tuesday",
    " in Lisbon",
    " in Canada",
    " after a long debate",
    " despite the heat",
    " for the first time in a decade",
    " in Japan",
]


def _passages() -> list[str]:
    texts: list[str] = []
    for path in sorted(DEVSET.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts.extend(p["text"] for p in data["passages"] if p.get("text"))
    return texts


def on_topic_articles(count: int, rng: random.Random) -> list[str]:
    """Wire-length articles: 2-3 of our passages among 14-22 background sentences."""
    passages = _passages()
    articles = []
    for _ in range(count):
        parts = rng.sample(passages, rng.randint(2, 3))
        background = rng.sample(BACKGROUND, rng.randint(14, 22))
        sentences = [*parts, *background]
        rng.shuffle(sentences)
        articles.append(" ".join(sentences))
    return articles


def off_topic_articles(count: int, rng: random.Random) -> list[str]:
    """Articles of varied plain sentences with no diplomatic or military content."""
    articles = []
    for _ in range(count):
        sentences = [
            f"{rng.choice(OFF_TOPIC_SUBJECTS)} {rng.choice(OFF_TOPIC_PREDICATES)}"
            f"{rng.choice(OFF_TOPIC_TAILS)}."
            for _ in range(rng.randint(10, 16))
        ]
        articles.append(" ".join(sentences))
    return articles


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def _measure(
    name: str, texts: list[str], baseline_nlp: Any, extractor: EventExtractor
) -> dict[str, Any]:
    items = [ArticleInput.from_text(stable_id("bench", str(i)), t) for i, t in enumerate(texts)]
    baseline_s, _ = _timed(lambda: sum(1 for _ in baseline_nlp.pipe(texts, batch_size=32)))
    ours_s, results = _timed(lambda: extractor.extract_inputs(items))
    baseline_rate = len(texts) / baseline_s
    ours_rate = len(texts) / ours_s
    return {
        "corpus": name,
        "articles": len(texts),
        "words": sum(len(t.split()) for t in texts),
        "baseline_articles_per_s": round(baseline_rate, 1),
        "ours_articles_per_s": round(ours_rate, 1),
        "ratio": round(ours_rate / baseline_rate, 2),
        "events": sum(len(events) for events in results),
    }


def main() -> None:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--on-topic", type=int, default=60, help="On-topic articles.")
    parser.add_argument("--mixed", type=int, default=300, help="Articles in the mixed stream.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="Print JSON only.")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    settings = ExtractSettings()
    baseline_nlp = spacy.load(settings.model)
    extractor = EventExtractor(settings).open()
    # Warm both pipelines so that model loading is not timed.
    warm = on_topic_articles(4, random.Random(0))
    list(baseline_nlp.pipe(warm))
    extractor.extract_inputs([ArticleInput.from_text(stable_id("warm", t), t) for t in warm])

    on_topic = on_topic_articles(args.on_topic, rng)
    on_count = max(1, args.mixed // 10)
    mixed = on_topic_articles(on_count, rng) + off_topic_articles(args.mixed - on_count, rng)
    rng.shuffle(mixed)

    rows = [
        _measure("on-topic", on_topic, baseline_nlp, extractor),
        _measure("mixed 90% off-topic", mixed, baseline_nlp, extractor),
    ]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "results": rows,
        "goals": {
            "on_topic_ratio_>=3": rows[0]["ratio"] >= 3,
            "mixed_articles_per_s_>=100": rows[1]["ours_articles_per_s"] >= 100,
        },
        "peak_rss_mb": round(peak_mb, 1),
        "extractor_version": extractor.version,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    header = f"{'corpus':<22}{'articles':>9}{'words':>8}{'baseline/s':>12}{'ours/s':>9}{'ratio':>7}{'events':>8}"
    print(header)
    for row in rows:
        print(
            f"{row['corpus']:<22}{row['articles']:>9}{row['words']:>8}"
            f"{row['baseline_articles_per_s']:>12}{row['ours_articles_per_s']:>9}"
            f"{row['ratio']:>7}{row['events']:>8}"
        )
    print(f"peak RSS {report['peak_rss_mb']} MB; goals: {json.dumps(report['goals'])}")


if __name__ == "__main__":
    main()
