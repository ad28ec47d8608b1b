"""``newswire airflow bootstrap --migrate`` (compose's airflow-init) against a throw-away home."""

from __future__ import annotations

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
