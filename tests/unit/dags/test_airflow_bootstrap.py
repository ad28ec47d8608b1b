"""``newswire airflow bootstrap --migrate`` (compose's airflow-init) against a throw-away home."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from newswire_testing.commands import run_process

from newswire.airflow.bootstrap import FETCH_POOL

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def test_bootstrap_migrates_and_creates_the_fetch_pool_and_variable(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
            "PYTHONWARNINGS": "ignore",
        }
    )
    done = run_process(
        [str(BIN / "newswire"), "airflow", "bootstrap", "--migrate", "--catalogue", "/x.yaml"],
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pool = run_process(
        [str(BIN / "airflow"), "pools", "get", FETCH_POOL.name, "--output", "plain"],
        env=env,
        timeout=120,
    )
    assert pool.returncode == 0, pool.stderr[-3000:]
    assert str(FETCH_POOL.slots) in pool.stdout
    variable = run_process(
        [str(BIN / "airflow"), "variables", "get", "newswire_ingest_catalogue"],
        env=env,
        timeout=120,
    )
    assert variable.stdout.strip().endswith("/x.yaml"), variable.stderr[-2000:]


_DAG_CONSTANTS_PROBE = r"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("dag_under_test", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
names = ("FETCH_POOL", "FETCH_POOL_SLOTS", "CATALOGUE_VARIABLE")
print("DAG-CONSTANTS " + json.dumps({name: getattr(module, name) for name in names}))
"""


def test_the_dag_and_the_bootstrap_agree_on_the_pool_and_variable(tmp_path: Path) -> None:
    from newswire.airflow.bootstrap import CATALOGUE_VARIABLE

    # The DAG file as Airflow loads it (a throw-away home), not its source text.
    env = dict(os.environ)
    env.update({"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    dag_file = Path(__file__).resolve().parents[3] / "dags" / "ingest_news.py"
    done = run_process(
        [sys.executable, "-c", _DAG_CONSTANTS_PROBE, str(dag_file)], env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("DAG-CONSTANTS "))
    constants = json.loads(line.removeprefix("DAG-CONSTANTS "))
    assert constants["FETCH_POOL"] == FETCH_POOL.name
    assert constants["FETCH_POOL_SLOTS"] == FETCH_POOL.slots
    assert constants["CATALOGUE_VARIABLE"] == CATALOGUE_VARIABLE
