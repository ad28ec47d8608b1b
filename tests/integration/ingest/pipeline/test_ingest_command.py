"""``newswire ingest`` over a catalogue of every source kind served on loopback.

With ``--output`` no Kafka is needed; a second pass over unchanged sources downloads no page body
again and outputs nothing. Without ``--output`` the articles go to the real Kafka broker.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from newswire_testing.commands import command_app, read_articles
from newswire_testing.newssite import NewsSite
from newswire_testing.topics import TopicTail
from typer.testing import CliRunner

from newswire.ingest.commands import ingest_command
from schemas.articles import NormalizedArticle, PublishedAtSource, TextMethod
from schemas.topics import ARTICLES, TopicSpec

Catalogue = Callable[[str], tuple[Path, dict[str, str]]]


@pytest.fixture
def catalogue_of_every_kind(
    news_site: NewsSite,
    every_kind_catalogue: Callable[..., dict[str, str]],
    seeds_dir: Path,
    tmp_path: Path,
) -> Catalogue:
    """``(path, ids by kind)`` of a catalogue of every source kind plus one broken feed."""

    def write(suffix: str) -> tuple[Path, dict[str, str]]:
        catalogue = tmp_path / "catalogue.yaml"
        base = news_site.base_url
        broken = {"id": f"cli-broken-{suffix}", "kind": "rss", "url": f"{base}/no-such-feed.rss"}
        ids = every_kind_catalogue(catalogue, base, seeds_dir, f"cli-{suffix}", [broken])
        return catalogue, ids

    return write


def test_second_pass_over_unchanged_sources_fetches_no_page_and_outputs_nothing(
    news_site: NewsSite,
    catalogue_of_every_kind: Catalogue,
    seeds_dir: Path,
    tmp_path: Path,
    unique_suffix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalogue, ids = catalogue_of_every_kind(unique_suffix)
    state = tmp_path / "state"
    first_out = tmp_path / "first.jsonl"
    args = ["ingest", "--sources", str(catalogue), "--state-dir", str(state)]

    first = CliRunner().invoke(
        command_app("ingest", ingest_command), [*args, "--output", str(first_out)]
    )

    assert first.exit_code == 0, first.output
    articles = read_articles(first_out)
    by_source = Counter(a.source_id for a in articles)
    assert by_source == {
        ids["rss"]: 1,
        ids["atom"]: 1,
        ids["sitemap"]: 1,
        ids["html"]: 1,
        ids["json"]: 1,
        ids["filedrop"]: len(list(seeds_dir.iterdir())),
    }
    by_id = {a.source_id: a for a in articles}
    assert by_id[ids["json"]].text_method == TextMethod.API_FIELD
    assert by_id[ids["sitemap"]].title == "Council approves budget with cuts to libraries"
    assert by_id[ids["rss"]].published_at_source == PublishedAtSource.FEED
    # The broken source is logged and counted; the pass went on with the others.
    assert "1 fetch error(s)" in first.stderr
    assert any(
        "no-such-feed.rss" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records
    )
    pages_once = {p: n for p, n in news_site.full_bodies.items() if p.startswith("/pages/")}

    second_out = tmp_path / "second.jsonl"
    second = CliRunner().invoke(
        command_app("ingest", ingest_command), [*args, "--output", str(second_out)]
    )

    assert second.exit_code == 0, second.output
    assert read_articles(second_out) == []
    assert {p: n for p, n in news_site.full_bodies.items() if p.startswith("/pages/")} == pages_once


@pytest.mark.integration
def test_without_output_the_pass_publishes_to_kafka(
    catalogue_of_every_kind: Catalogue,
    seeds_dir: Path,
    tmp_path: Path,
    unique_suffix: str,
    topic_tail: Callable[[TopicSpec], TopicTail[NormalizedArticle]],
) -> None:
    catalogue, ids = catalogue_of_every_kind("k" + unique_suffix)
    tail = topic_tail(ARTICLES)
    result = CliRunner().invoke(
        command_app("ingest", ingest_command),
        ["ingest", "--sources", str(catalogue), "--state-dir", str(tmp_path / "state")],
    )
    assert result.exit_code == 0, result.output
    published = [a for _, a in tail.appended() if a.source_id in ids.values()]
    assert Counter(a.source_id for a in published)[ids["filedrop"]] == len(
        list(seeds_dir.iterdir())
    )
    assert {a.source_id for a in published} == set(ids.values())
    assert json.loads(published[0].model_dump_json())["schema_version"] == 1
