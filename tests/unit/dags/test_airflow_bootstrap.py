"""``newswire airflow bootstrap --migrate`` (compose's airflow-init) against a throw-away home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    done = subprocess.run(
        [str(BIN / "newswire"), "airflow", "bootstrap", "--migrate", "--catalogue", "/x.yaml"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pool = subprocess.run(
        [str(BIN / "airflow"), "pools", "get", FETCH_POOL.name, "--output", "plain"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert pool.returncode == 0, pool.stderr[-3000:]
    assert str(FETCH_POOL.slots) in pool.stdout
    variable = subprocess.run(
        [str(BIN / "airflow"), "variables", "get", "newswire_ingest_catalogue"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert variable.stdout.strip().endswith("/x.yaml"), variable.stderr[-2000:]


def test_the_dag_and_the_bootstrap_agree_on_the_pool_and_variable() -> None:
    import ast

    from newswire.airflow.bootstrap import CATALOGUE_VARIABLE

    tree = ast.parse((Path(__file__).resolve().parents[3] / "dags" / "ingest_news.py").read_text())
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert constants["FETCH_POOL"] == FETCH_POOL.name
    assert constants["FETCH_POOL_SLOTS"] == FETCH_POOL.slots
    assert constants["CATALOGUE_VARIABLE"] == CATALOGUE_VARIABLE
