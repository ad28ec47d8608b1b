"""``ingest_news`` under the real Airflow scheduler, started by ``newswire airflow up``.

The run is triggered through REST API v2 with a small catalogue on the loopback news site, its
articles must reach ``news.articles.v1`` (Airflow's ingest state outlives one test session, so
the pages of an earlier session come back as those articles with a higher source count), and the login that ``newswire airflow status --json``
prints must get a token from ``/auth/token``. Then the scheduler's own once-a-minute runs must
honour each source's schedule: the ``* * * * *`` source is fetched again, the ``@daily`` one,
fetched by the manual run moments before, is not.

``airflow_login`` (conftest) keeps Airflow up for the UI test, which reuses these finished runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from newswire_testing.newssite import NewsSite
from newswire_testing.topics import TopicTail

from newswire.airflow.bootstrap import CATALOGUE_VARIABLE
from newswire.airflow.client import AirflowClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_ID = "ingest_news"


def _listed(client: AirflowClient, run_id: str) -> list[str]:
    value = client.xcom(DAG_ID, run_id, "list_sources")
    if isinstance(value, str):
        value = json.loads(value)
    return [entry["source_id"] for entry in value]


def test_the_scheduler_runs_ingest_news_and_honours_source_schedules(
    airflow_login: dict[str, Any],
    news_site: NewsSite,
    articles_tail: TopicTail[Any],
    tmp_path: Path,
    unique_suffix: str,
) -> None:
    assert airflow_login["api_url"].startswith("http://127.0.0.1:")
    every_minute, daily = f"af-minute-{unique_suffix}", f"af-daily-{unique_suffix}"
    catalogue = tmp_path / "catalogue.yaml"
    common = {"allow_private_network": True, "rate_limit_per_second": 50.0}
    catalogue.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {"id": every_minute, "kind": "atom", "url": f"{news_site.base_url}/feed.atom"}
                    | {"schedule": "* * * * *"}
                    | common,
                    {"id": daily, "kind": "rss", "url": f"{news_site.base_url}/feed.rss"}
                    | {"schedule": "@daily"}
                    | common,
                ]
            }
        ),
        encoding="utf-8",
    )
    with AirflowClient(
        airflow_login["api_url"], airflow_login["username"], airflow_login["password"]
    ) as client:
        assert client.token()  # the printed login gets a JWT for REST API v2
        # Scheduled runs read the Variable; the manual run is given the param.
        client.set_variable(CATALOGUE_VARIABLE, str(catalogue))
        client.set_paused(DAG_ID, False)
        run = client.trigger_run(DAG_ID, {"catalogue": str(catalogue), "extract_events": False})
        finished = client.wait_for_run(DAG_ID, run["dag_run_id"], timeout_seconds=240)
        tasks = client.task_instances(DAG_ID, run["dag_run_id"])
        assert finished["state"] == "success", [(t["task_id"], t["state"]) for t in tasks]
        fetches = [t for t in tasks if t["task_id"] == "fetch"]
        assert len(fetches) == 2 and {t["state"] for t in fetches} == {"success"}
        assert sorted(_listed(client, run["dag_run_id"])) == sorted([every_minute, daily])

        # The pages reach the topic: as new articles the first time, as the earlier articles
        # (same text, a higher source count) when an earlier session already ingested them.
        landed = [article for _, article in articles_tail.appended()]
        assert "Harbor bridge reopens after two-year repair" in {a.title for a in landed}
        assert len({a.id for a in landed}) >= 2
        assert all(
            a.source_id in {every_minute, daily} or a.source_count > 1
            for a in landed
            if "/pages/" in (a.url or "")
        )

        # The scheduler's next runs (every minute, catalogue from the Variable): only the
        # every-minute source is due again.
        manual_end = finished["end_date"]
        deadline = time.monotonic() + 150
        seen: dict[str, list[str]] = {}
        while time.monotonic() < deadline and not any(every_minute in s for s in seen.values()):
            for candidate in client.list_runs(DAG_ID, limit=10):
                run_id = candidate["dag_run_id"]
                if (
                    candidate["run_type"] == "scheduled"
                    and candidate["state"] == "success"
                    and (candidate.get("start_date") or "") > manual_end
                    and run_id not in seen
                ):
                    seen[run_id] = _listed(client, run_id)
            time.sleep(3)
        assert any(every_minute in listed for listed in seen.values()), seen
        assert all(daily not in listed for listed in seen.values()), seen
