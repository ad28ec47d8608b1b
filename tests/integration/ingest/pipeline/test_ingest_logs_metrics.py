"""``newswire ingest`` as an operator runs it: JSON logs to follow an article, metric textfiles.

The real command in a child process (``python -m newswire``) over the loopback site, with
``NEWSWIRE_LOG_FORMAT=json`` and ``NEWSWIRE_METRICS_DIR`` set; ``--output`` keeps Kafka out. One
pass: the DAG test checks that a second run adds to the counters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
from newswire_testing.commands import read_articles
from newswire_testing.metrics import labels, scrape_textfile

pytestmark = pytest.mark.integration


class Site(Protocol):
    base_url: str


def _ingest(catalogue: Path, state: Path, output: Path, metrics: Path) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "NEWSWIRE_LOG_FORMAT": "json",
        "NEWSWIRE_METRICS_DIR": str(metrics),
        "NEWSWIRE_INGEST_NORMALIZE_WORKERS": "1",
    }
    command = [sys.executable, "-m", "newswire", "ingest", "--sources", str(catalogue)]
    command += ["--state-dir", str(state), "--output", str(output)]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    # Every log line is JSON; the summary and the table that follow are not log lines.
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-4000:]
    return lines


def test_one_article_is_followed_through_the_json_logs_and_the_counts_are_exported(
    news_site: Site,
    every_kind_catalogue: Callable[..., dict[str, str]],
    seeds_dir: Path,
    tmp_path: Path,
    unique_suffix: str,
) -> None:
    broken = {"id": f"logs-broken-{unique_suffix}", "kind": "rss"}
    broken["url"] = f"{news_site.base_url}/no-such-feed.rss"
    catalogue = tmp_path / "catalogue.yaml"
    ids = every_kind_catalogue(
        catalogue, news_site.base_url, seeds_dir, f"logs-{unique_suffix}", [broken]
    )
    state, metrics = tmp_path / "state", tmp_path / "metrics"
    lines = _ingest(catalogue, state, tmp_path / "first.jsonl", metrics)

    # One article, from fetch to delivery, found by its id alone.
    (article,) = [a for a in read_articles(tmp_path / "first.jsonl") if a.source_id == ids["rss"]]
    about = [line for line in lines if line.get("article_id") == article.id]
    assert {line["logger"] for line in about} >= {
        "newswire.ingest.pipeline.tasks",  # accepted by de-duplication
        "newswire.ingest.pipeline.delivery",  # written (published without --output)
    }
    assert all(article.id in line["message"] for line in about)
    # Before normalizing, the id is not known yet: the fetch line names the page's URL, which
    # the verdict line maps to the id.
    fetched_lines = [line for line in lines if line.get("event") == "document_fetched"]
    assert [line for line in fetched_lines if line["message"].endswith(str(article.url))]
    assert [line for line in about if str(article.url) in line["message"]]
    assert all(line["level"] in {"info", "warning", "error"} and line["ts"] for line in lines)

    # One line per source and stage with the pass summary's counters.
    stages = {
        (line["source"], line["stage"]): line
        for line in lines
        if line.get("event") == "ingest_stage"
    }
    assert {stage for source, stage in stages if source == ids["rss"]} == {
        "fetch",
        "normalize",
        "publish",
    }
    assert stages[ids["rss"], "fetch"]["fetched"] == 1
    assert stages[ids["rss"], "normalize"]["accepted"] == 1
    assert stages[ids["rss"], "publish"]["written"] == 1
    assert stages[ids["filedrop"], "normalize"]["accepted"] == len(list(seeds_dir.iterdir()))
    assert stages[broken["id"], "fetch"]["failed"] == 1
    assert sum(stages[broken["id"], "fetch"]["failure_reasons"].values()) == 1

    # The same counts in the textfiles (the DAG test checks that a second run adds to them).
    rss = scrape_textfile(metrics / f"newswire_ingest_{ids['rss']}.prom")
    items = "newswire_ingest_items_total"
    assert rss[items, labels(source=ids["rss"], stage="fetch", outcome="fetched")] == 1
    assert rss[items, labels(source=ids["rss"], stage="publish", outcome="written")] == 1
    success = labels(source=ids["rss"], stage="publish")
    assert rss["newswire_ingest_last_success_timestamp_seconds", success] > 0
    failing = scrape_textfile(metrics / f"newswire_ingest_{broken['id']}.prom")
    failed = labels(source=broken["id"], stage="fetch", outcome="failed")
    assert failing[items, failed] == 1
