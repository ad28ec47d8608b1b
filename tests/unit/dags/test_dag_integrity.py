"""Every DAG file loads, parses fast, declares owners, tags and retries, and imports nothing heavy.

DagBag runs in a subprocess with a throw-away AIRFLOW_HOME, so the test neither touches a real
Airflow installation nor inherits Airflow's import-time warnings into pytest's warnings-as-errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

DAGS_DIR = Path(__file__).resolve().parents[3] / "dags"
MAX_PARSE_SECONDS = 2.0
HEAVY_MODULES = ("spacy", "trafilatura", "kafka", "elasticsearch", "datasketch", "torch")

_DAGBAG_PROBE = r"""
import json, sys
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])  # examples are off (AIRFLOW__CORE__LOAD_EXAMPLES)
report = {
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "stats": [{"file": s.file, "seconds": s.duration.total_seconds()} for s in bag.dagbag_stats],
    "files": sorted({str(d.fileloc) for d in bag.dags.values()}),
    "dags": {
        dag_id: {
            "tags": sorted(dag.tags or []),
            "owner": dag.owner,
            "doc_md": bool(dag.doc_md),
            "tasks": {
                t.task_id: {"retries": t.retries, "owner": t.owner, "pool": t.pool,
                            "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None}
                for t in dag.tasks
            },
        }
        for dag_id, dag in bag.dags.items()
    },
}
print("DAGBAG-REPORT " + json.dumps(report))
"""

_IMPORT_PROBE = r"""
import importlib.util, json, sys
import airflow.sdk  # noqa: F401  (Airflow's own imports are not the DAG file's)
from airflow.sdk import dag, task  # noqa: F401
before = set(sys.modules)
path = sys.argv[1]
spec = importlib.util.spec_from_file_location("dag_under_test", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print("IMPORT-REPORT " + json.dumps(sorted(set(sys.modules) - before)))
"""


def _airflow_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path / "airflow-home"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def _probe(code: str, marker: str, argument: str, env: dict[str, str]) -> Any:
    result = subprocess.run(
        [sys.executable, "-c", code, argument],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith(marker + " "):
            return json.loads(line[len(marker) + 1 :])
    raise AssertionError(f"probe failed ({result.returncode}):\n{result.stderr[-4000:]}")


@pytest.fixture(scope="module")
def dagbag_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = _airflow_env(tmp_path_factory.mktemp("dagbag"))
    report: dict[str, Any] = _probe(_DAGBAG_PROBE, "DAGBAG-REPORT", str(DAGS_DIR), env)
    return report


DAG_FILES = sorted(path for path in DAGS_DIR.glob("*.py") if not path.name.startswith("_"))


def test_there_are_dag_files() -> None:
    assert DAG_FILES, f"no DAG files in {DAGS_DIR}"


def test_every_dag_file_imports_without_errors(dagbag_report: dict[str, Any]) -> None:
    assert dagbag_report["import_errors"] == {}
    loaded = {Path(f).name for f in dagbag_report["files"]}
    assert {path.name for path in DAG_FILES} <= loaded


def test_every_dag_file_parses_in_under_two_seconds(dagbag_report: dict[str, Any]) -> None:
    slow = {
        s["file"]: s["seconds"] for s in dagbag_report["stats"] if s["seconds"] > MAX_PARSE_SECONDS
    }
    assert not slow, f"DAG files parse too slowly: {slow}"


def test_every_dag_has_tags_an_owner_docs_and_retries(dagbag_report: dict[str, Any]) -> None:
    assert dagbag_report["dags"], "no DAGs were loaded"
    for dag_id, dag in dagbag_report["dags"].items():
        assert dag["tags"], f"{dag_id} has no tags"
        assert dag["doc_md"], f"{dag_id} has no doc_md"
        for task_id, task in dag["tasks"].items():
            assert task["owner"] and task["owner"] != "airflow", f"{dag_id}.{task_id}: no owner"
            assert task["retries"] >= 1, f"{dag_id}.{task_id}: no retries"
            assert task["timeout"], f"{dag_id}.{task_id}: no execution_timeout"


def test_ingest_news_fetches_through_the_pool(dagbag_report: dict[str, Any]) -> None:
    tasks = dagbag_report["dags"]["ingest_news"]["tasks"]
    assert set(tasks) == {"list_sources", "fetch", "normalize", "publish", "extract_events"}
    assert tasks["fetch"]["pool"] == "ingest_fetch"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda path: path.name)
def test_dag_file_imports_no_heavy_module_at_parse_time(dag_file: Path, tmp_path: Path) -> None:
    imported = _probe(_IMPORT_PROBE, "IMPORT-REPORT", str(dag_file), _airflow_env(tmp_path))
    heavy = sorted({name for name in imported if name.split(".")[0] in HEAVY_MODULES})
    assert not heavy, f"{dag_file.name} imports heavy modules at parse time: {heavy}"
    assert not any(name.startswith("newswire.ingest.") for name in imported), imported


def test_ingest_news_default_catalogue_exists_and_loads() -> None:
    import ast

    from newswire.ingest.sources import default_catalogue_path, load_catalogue

    # The DAG falls back to the library's packaged catalogue (not a path into the checkout) ...
    tree = ast.parse((DAGS_DIR / "ingest_news.py").read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "newswire.ingest.sources"
        for alias in node.names
    }
    assert "default_catalogue_path" in imported
    # ... which exists and loads.
    assert load_catalogue(default_catalogue_path()).sources
