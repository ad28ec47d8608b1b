"""``ingest_news`` end to end through ``airflow dags test`` into the real Kafka broker.

One catalogue holds a source of every kind (rss, atom, sitemap, html listing, json API, filedrop),
all served by the loopback site of ``conftest.py`` or read from the seed folder in place. The
first run must publish each source's articles to ``news.articles.v1``; a second run over the
unchanged sources must download no page again and publish nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
from newswire_testing.metrics import scrape_textfile
from newswire_testing.newssite import NewsSite
from newswire_testing.topics import TopicTail

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Airflow(Protocol):
    def run(
        self, *args: str, extra_env: dict[str, str] | None = None, timeout: float = 600
    ) -> object: ...


def _disabled_source(base: str, suffix: str) -> dict[str, Any]:
    return {
        "id": f"dag-disabled-{suffix}",
        "kind": "rss",
        "url": f"{base}/missing.rss",
        "enabled": False,
    }


def _dags_test(airflow: Airflow, logical_date: str, state_dir: Path, conf: dict[str, str]) -> str:
    result = airflow.run(
        "dags",
        "test",
        "ingest_news",
        logical_date,
        "--conf",
        json.dumps(conf),
        extra_env={
            "NEWSWIRE_INGEST_STATE_DIR": str(state_dir),
            "NEWSWIRE_METRICS_DIR": str(state_dir.parent / "metrics"),
        },
    )
    returncode = getattr(result, "returncode", 1)
    output = getattr(result, "stdout", "") + getattr(result, "stderr", "")
    finished = [line for line in output.splitlines() if "DagRun Finished" in line]
    assert returncode == 0 and finished, output[-6000:]
    assert "state=success" in finished[-1], output[-8000:]
    return output


def test_every_source_kind_reaches_kafka_and_a_rerun_publishes_nothing(
    airflow_home: Airflow,
    news_site: NewsSite,
    every_kind_catalogue: Callable[..., dict[str, str]],
    articles_tail: TopicTail[Any],
    events_tail: TopicTail[Any],
    seeds_dir: Path,
    tmp_path: Path,
    unique_suffix: str,
) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    ids = every_kind_catalogue(
        catalogue,
        news_site.base_url,
        seeds_dir,
        f"dag-{unique_suffix}",
        [_disabled_source(news_site.base_url, unique_suffix)],
    )
    state_dir = tmp_path / "state"

    # First run: the catalogue comes from the Airflow Variable (no param given).
    variable = airflow_home.run("variables", "set", "newswire_ingest_catalogue", str(catalogue))
    assert getattr(variable, "returncode", 1) == 0, getattr(variable, "stderr", "")
    # The site serves the whole session: count only what this test's runs download.
    before = Counter(news_site.full_bodies)
    output = _dags_test(airflow_home, "2024-06-01T00:00:00+00:00", state_dir, {})

    ours = [a for _, a in articles_tail.appended() if a.source_id in ids.values()]
    by_source = Counter(article.source_id for article in ours)
    assert {kind: by_source[ids[kind]] for kind in ids} == {
        "rss": 1,
        "atom": 1,
        "sitemap": 1,
        "html": 1,
        "json": 1,
        "filedrop": len(list(seeds_dir.iterdir())),
    }
    assert len({article.id for article in ours}) == len(ours)
    titles = {article.source_id: article.title for article in ours}
    assert titles[ids["rss"]] == "Harbor bridge reopens after two-year repair"
    assert titles[ids["html"]] == "Rail workers call off weekend strike after late pay offer"
    rss_article = next(a for a in ours if a.source_id == ids["rss"])
    assert rss_article.canonical_url is not None and "utm_source" not in rss_article.canonical_url
    page_downloads = {
        path: n
        for path, n in (news_site.full_bodies - before).items()
        if path.startswith("/pages/")
    }
    assert page_downloads and set(page_downloads.values()) == {1}

    # Extraction ran in the DAG too: the seeds' events reached news.events.v1, keyed by event id.
    our_ids = {article.id for article in ours}
    events = [e for _, e in events_tail.appended() if e.article_id in our_ids]
    assert {e.type.value for e in events} >= {"LEADER_CONTACT", "CONFIDENTIAL_LEAK"}
    assert all(e.source_id == ids["filedrop"] for e in events)
    events_tail.mark()

    # Each task logged its source's counters and added them to the source's metrics textfile;
    # the task logs carry the article ids.
    assert f"ingest publish {ids['rss']}: published 1" in output, output[-8000:]
    assert rss_article.id in output
    metrics = tmp_path / "metrics"
    rss = scrape_textfile(metrics / f"newswire_ingest_{ids['rss']}.prom")
    items = "newswire_ingest_items_total"
    fetched = frozenset({"source": ids["rss"], "stage": "fetch", "outcome": "fetched"}.items())
    published = frozenset(
        {"source": ids["rss"], "stage": "publish", "outcome": "published"}.items()
    )
    assert (rss[items, fetched], rss[items, published]) == (1, 1)
    drop = scrape_textfile(metrics / f"newswire_ingest_{ids['filedrop']}.prom")
    by_type = {
        dict(labels)["type"]: value
        for (name, labels), value in drop.items()
        if name == "newswire_ingest_events_total"
    }
    assert by_type.keys() >= {"LEADER_CONTACT", "CONFIDENTIAL_LEAK"}
    assert sum(by_type.values()) == len(events)
    success = "newswire_ingest_last_success_timestamp_seconds"
    assert {dict(labels)["stage"] for (name, labels) in drop if name == success} == {
        "fetch",
        "normalize",
        "publish",
        "extract",
    }

    # Re-run the same data interval (catalogue now given as the DAG param): conditional GET
    # everywhere, nothing new published.
    articles_tail.mark()
    _dags_test(airflow_home, "2024-06-01T00:00:00+00:00", state_dir, {"catalogue": str(catalogue)})
    assert [a for _, a in articles_tail.appended() if a.source_id in ids.values()] == []
    assert [e for _, e in events_tail.appended() if e.article_id in our_ids] == []
    assert {
        path: n
        for path, n in (news_site.full_bodies - before).items()
        if path.startswith("/pages/")
    } == page_downloads
    # The re-run's counts were added: nothing more fetched, the feed not modified.
    rerun = scrape_textfile(metrics / f"newswire_ingest_{ids['rss']}.prom")
    not_modified = frozenset(
        {"source": ids["rss"], "stage": "fetch", "outcome": "not_modified"}.items()
    )
    assert rerun[items, fetched] == 1
    assert rerun[items, not_modified] > rss.get((items, not_modified), 0)
