"""Reading Prometheus textfiles back as a scraper would, with prometheus_client's own parser."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

Scraped = dict[tuple[str, frozenset[tuple[str, str]]], float]


def labels(**values: str) -> frozenset[tuple[str, str]]:
    """A label set, as the keys of :func:`scrape_textfile` hold them."""
    return frozenset(values.items())


def scrape_textfile(path: Path) -> Scraped:
    """Every sample of a textfile: ``{(sample name, label set): value}``."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(path.read_text(encoding="utf-8"))
        for sample in family.samples
    }
