"""A loopback news site for the DAG tests, an Airflow home with sqlite, and a Kafka read-back.

The site serves the fixture pages of ``tests/fixtures/ingest/pages`` plus an RSS feed, an Atom
feed, a sitemap, a listing page and a paged JSON API generated here, with ETags so that a second
pass gets ``304 Not Modified``. Every body is written by us; nothing is fetched from outside.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from newswire_testing.newssite import TopicTail

from newswire.settings import KafkaSettings
from schemas.topics import ARTICLES, EVENTS

REPO = Path(__file__).resolve().parents[3]
AIRFLOW = Path(sys.executable).with_name("airflow")
FETCH_POOL = "ingest_fetch"


@dataclass(frozen=True)
class AirflowHome:
    """A migrated Airflow home (sqlite) whose DAG folder is the repository's ``dags/``."""

    path: Path
    env: dict[str, str]

    def run(
        self, *args: str, extra_env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run an ``airflow`` CLI command in this home."""
        return subprocess.run(
            [str(AIRFLOW), *args],
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="session")
def airflow_home(
    tmp_path_factory: pytest.TempPathFactory, kafka_settings: KafkaSettings
) -> AirflowHome:
    home = tmp_path_factory.mktemp("airflow-home")
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
            "PYTHONWARNINGS": "ignore",
        }
    )
    airflow = AirflowHome(home, env)
    migrated = airflow.run("db", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    pool = airflow.run("pools", "set", FETCH_POOL, "4", "concurrent source fetches")
    assert pool.returncode == 0, pool.stderr[-3000:]
    return airflow


@pytest.fixture
def articles_tail(kafka_settings: KafkaSettings) -> Iterator[TopicTail]:
    tail = TopicTail(kafka_settings, ARTICLES)
    try:
        yield tail
    finally:
        tail.close()


@pytest.fixture
def events_tail(kafka_settings: KafkaSettings) -> Iterator[TopicTail]:
    tail = TopicTail(kafka_settings, EVENTS)
    try:
        yield tail
    finally:
        tail.close()
