"""An Airflow home with sqlite for the DAG tests, and the Airflow of ``newswire airflow up``.

The news site the DAG crawls and the tails of the real topics are the test-support plugin's
(``news_site``, ``articles_tail``, ``events_tail``), shared with the ingest-pipeline tests.

``airflow_login`` is the Airflow of ``newswire airflow up``, started once for the modules here
that use it (the scheduler test, then the UI test reusing its finished runs) and stopped after
the last of their tests, so that later directories do not run next to an idle scheduler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newswire.airflow.bootstrap import CATALOGUE_VARIABLE
from newswire.airflow.client import AirflowClient
from newswire.airflow.errors import AirflowApiError
from newswire.retry import backoff_delay
from newswire.settings import KafkaSettings

REPO = Path(__file__).resolve().parents[3]
AIRFLOW = Path(sys.executable).with_name("airflow")
NEWSWIRE = Path(sys.executable).with_name("newswire")
FETCH_POOL = "ingest_fetch"
DAG_ID = "ingest_news"


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


def newswire(*args: str, timeout: float = 420) -> subprocess.CompletedProcess[str]:
    """Run the ``newswire`` command line of this environment."""
    return subprocess.run(
        [str(NEWSWIRE), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


class SharedAirflow:
    """``newswire airflow up`` once for the tests that ask for ``airflow_login``.

    ``release`` pauses ``ingest_news``, removes the catalogue Variable and, when this session
    started Airflow, stops it again; a later test asking for the login starts it anew.
    """

    def __init__(self) -> None:
        self._login: dict[str, Any] | None = None
        self._started_here = False

    def login(self) -> dict[str, Any]:
        """The login ``newswire airflow status --json`` prints (Airflow started if need be)."""
        if self._login is None:
            was_running = newswire("airflow", "status", "--json", timeout=60).returncode == 0
            up = newswire("airflow", "up", "--json")
            assert up.returncode == 0, up.stderr[-4000:]
            assert json.loads(up.stdout)["dag_registered"] is True
            self._started_here = not was_running
            status = newswire("airflow", "status", "--json", timeout=60)
            assert status.returncode == 0, status.stderr[-2000:]
            self._login = json.loads(status.stdout)
        return self._login

    def release(self) -> None:
        """Leave Airflow as this session found it."""
        if self._login is None:
            return
        login, self._login = self._login, None
        try:
            with AirflowClient(
                login["api_url"], login["username"], login["password"], timeout_seconds=120
            ) as client:
                for attempt in range(1, 4):
                    try:
                        client.set_paused(DAG_ID, True)
                        client.delete_variable(CATALOGUE_VARIABLE)
                        break
                    except AirflowApiError:
                        # SQLite's write lock, busy under load, answers 500 "Database error".
                        if attempt == 3:
                            raise
                        time.sleep(backoff_delay(attempt, initial=2.0, maximum=10.0))
        finally:
            if self._started_here:
                print("stopping the Airflow these tests started (newswire airflow down)")
                down = newswire("airflow", "down", timeout=120)
                assert down.returncode == 0, down.stderr[-2000:]


_SHARED_AIRFLOW = pytest.StashKey[SharedAirflow]()


@pytest.fixture(scope="session")
def shared_airflow(request: pytest.FixtureRequest) -> Iterator[SharedAirflow]:
    shared = SharedAirflow()
    request.config.stash[_SHARED_AIRFLOW] = shared
    try:
        yield shared
    finally:
        shared.release()


@pytest.fixture
def airflow_login(shared_airflow: SharedAirflow) -> dict[str, Any]:
    """``newswire airflow up``'s login, shared with the other tests here that ask for it."""
    return shared_airflow.login()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Release the shared Airflow after the last of a row of tests that use it."""
    result = yield
    shared = item.config.stash.get(_SHARED_AIRFLOW, None)
    uses = "airflow_login" in getattr(item, "fixturenames", ())
    next_uses = nextitem is not None and "airflow_login" in getattr(nextitem, "fixturenames", ())
    if shared is not None and uses and not next_uses:
        shared.release()
    return result
