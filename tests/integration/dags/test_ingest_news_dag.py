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

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Tail(Protocol):
    def mark(self) -> None: ...

    def appended(self) -> list[tuple[str, Any]]: ...


class Site(Protocol):
    base_url: str
    requests: Counter[str]
    full_bodies: Counter[str]


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


def _dags_test(airflow: Airflow, logical_date: str, state_dir: Path, conf: dict[str, str]) -> None:
    result = airflow.run(
        "dags",
        "test",
        "ingest_news",
        logical_date,
        "--conf",
        json.dumps(conf),
        extra_env={"NEWSWIRE_INGEST_STATE_DIR": str(state_dir)},
    )
    returncode = getattr(result, "returncode", 1)
    output = getattr(result, "stdout", "") + getattr(result, "stderr", "")
    finished = [line for line in output.splitlines() if "DagRun Finished" in line]
    assert returncode == 0 and finished, output[-6000:]
    assert "state=success" in finished[-1], output[-8000:]


def test_every_source_kind_reaches_kafka_and_a_rerun_publishes_nothing(
    airflow_home: Airflow,
    news_site: Site,
    every_kind_catalogue: Callable[..., dict[str, str]],
    articles_tail: Tail,
    events_tail: Tail,
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
    _dags_test(airflow_home, "2024-06-01T00:00:00+00:00", state_dir, {})

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
