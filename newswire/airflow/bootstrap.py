"""The pools and variables the DAGs need, created through the REST API or the ``airflow`` CLI.

One definition for both places that create them: ``newswire airflow up`` (REST API) and
compose's ``airflow-init`` (``newswire airflow bootstrap``, which runs ``airflow pools set``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newswire.airflow.client import AirflowClient
from newswire.airflow.errors import AirflowError


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """One Airflow pool."""

    name: str
    slots: int
    description: str


#: ``ingest_news`` queues its fetch tasks in this pool (``FETCH_POOL`` in dags/ingest_news.py).
FETCH_POOL = PoolSpec("ingest_fetch", 4, "concurrent source fetches of ingest_news")
POOLS: tuple[PoolSpec, ...] = (FETCH_POOL,)
#: The Variable ``ingest_news`` reads its catalogue from when no ``catalogue`` param is given.
CATALOGUE_VARIABLE = "newswire_ingest_catalogue"


def bootstrap_via_api(client: AirflowClient, variables: Mapping[str, str] | None = None) -> None:
    """Create (or resize) every pool and set ``variables`` through the REST API."""
    for pool in POOLS:
        client.ensure_pool(pool.name, pool.slots, pool.description)
    for key, value in (variables or {}).items():
        client.set_variable(key, value)


def airflow_executable() -> str:
    """The ``airflow`` command next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).with_name("airflow")
    if beside.exists():
        return str(beside)
    found = shutil.which("airflow")
    if found is None:
        raise AirflowError("the airflow command is not installed")
    return found


def run_airflow(
    args: list[str], *, env: Mapping[str, str] | None = None, timeout_seconds: float = 600.0
) -> subprocess.CompletedProcess[str]:
    """Run one ``airflow`` CLI command; raise :class:`AirflowError` unless it succeeds."""
    try:
        result = subprocess.run(
            [airflow_executable(), *args],
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AirflowError(f"airflow {' '.join(args[:2])} failed: {exc}") from exc
    if result.returncode != 0:
        raise AirflowError(
            f"airflow {' '.join(args[:3])} failed ({result.returncode}): {result.stderr[-2000:]}"
        )
    return result


def migrate_database(
    *, env: Mapping[str, str] | None = None, timeout_seconds: float = 600.0
) -> None:
    """``airflow db migrate``: create or upgrade the metadata database."""
    run_airflow(["db", "migrate"], env=env, timeout_seconds=timeout_seconds)


def bootstrap_via_cli(
    variables: Mapping[str, str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    timeout_seconds: float = 300.0,
) -> None:
    """Create every pool and set ``variables`` with the ``airflow`` CLI (no api-server needed)."""
    commands = [["pools", "set", pool.name, str(pool.slots), pool.description] for pool in POOLS]
    commands += [["variables", "set", key, value] for key, value in (variables or {}).items()]
    for args in commands:
        run_airflow(args, env=env, timeout_seconds=timeout_seconds)
