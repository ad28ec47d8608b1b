"""Normalization throughput (articles/s) against plain ``trafilatura.extract`` on the same pages.

The corpus (>= 1,000 HTML pages) is generated from the fixture pages in
``tests/fixtures/ingest/pages/``: each variant shuffles and rewrites the article's paragraphs and
varies the boilerplate around them, so no two pages are identical. Both extractors run in the
same process on the same pages; the ratio is what to watch (absolute numbers depend on the host).

Run: ``.venv/bin/python benchmarks/bench_normalize.py [--pages N]``
"""

from __future__ import annotations

import argparse
import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import trafilatura

from newswire.ingest.normalize import NormalizeOptions, normalize_file_bytes

PAGES_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ingest" / "pages"
FILLER = (
    "Officials said further details would be released later in the week.",
    "The announcement followed months of negotiations between the parties.",
    "Residents interviewed on Tuesday gave a mixed reaction to the news.",
    "Analysts expect the decision to be challenged in the coming months.",
    "A spokesperson declined to comment on the figures when contacted.",
    "The plan will be reviewed again at the end of the financial year.",
)
NAV_ITEMS = ("World", "Politics", "Business", "Tech", "Science", "Health", "Sport", "Culture")


def make_corpus(count: int, seed: int = 7) -> list[bytes]:
    """``count`` distinct HTML pages derived from the fixture pages."""
    rng = random.Random(seed)
    templates = [
        path.read_bytes().decode("utf-8", errors="replace")
        for path in sorted(PAGES_DIR.glob("*.html"))
    ]
    corpus: list[bytes] = []
    for number in range(count):
        html = templates[number % len(templates)]
        paragraphs = re.findall(r"<p>(.*?)</p>", html, flags=re.S)
        extra = " ".join(rng.sample(FILLER, k=2))
        for paragraph in rng.sample(paragraphs, k=min(3, len(paragraphs))):
            html = html.replace(f"<p>{paragraph}</p>", f"<p>{paragraph} {extra} (#{number})</p>", 1)
        nav = "".join(
            f'<li><a href="/{item.lower()}/{number}">{item}</a></li>'
            for item in rng.sample(NAV_ITEMS, k=rng.randint(3, len(NAV_ITEMS)))
        )
        html = html.replace("<body>", f"<body><ul class='menu'>{nav}</ul>", 1)
        corpus.append(html.encode("utf-8"))
    return corpus


def bench_plain_trafilatura(corpus: list[bytes]) -> tuple[float, int]:
    start = time.perf_counter()
    extracted = sum(1 for page in corpus if trafilatura.extract(page))
    return time.perf_counter() - start, extracted


def bench_normalize(corpus: list[bytes]) -> tuple[float, int]:
    options = NormalizeOptions()
    fetched_at = datetime.now(UTC)
    start = time.perf_counter()
    for number, page in enumerate(corpus):
        normalize_file_bytes(
            page,
            file_name=f"page-{number}.html",
            source_id="bench",
            fetched_at=fetched_at,
            options=options,
        )
    return time.perf_counter() - start, len(corpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    corpus = make_corpus(max(args.pages, 1))
    # Warm-up: the language model and trafilatura's lazy imports load once per process.
    bench_normalize(corpus[:3])
    bench_plain_trafilatura(corpus[:3])
    base_seconds, base_ok = bench_plain_trafilatura(corpus)
    ours_seconds, ours_ok = bench_normalize(corpus)
    base_rate = len(corpus) / base_seconds
    ours_rate = len(corpus) / ours_seconds
    print(f"corpus: {len(corpus)} HTML pages ({sum(map(len, corpus)) / 1e6:.1f} MB)")
    print(f"trafilatura.extract (baseline): {base_rate:8.1f} articles/s ({base_ok} with text)")
    print(f"newswire normalize            : {ours_rate:8.1f} articles/s ({ours_ok} normalized)")
    print(f"ratio newswire/baseline       : {ours_rate / base_rate:8.2f}")


if __name__ == "__main__":
    main()
