"""The scheduler's warm-up (newswire.airflow.warm), the local settings ``airflow up`` writes, and
``AirflowClient.variable_set`` (the bench and the demo set the catalogue Variable with it)."""

from __future__ import annotations

import json
import logging
import runpy
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from newswire.airflow import warm
from newswire.airflow.client import AirflowClient
from newswire.airflow.manager import LOCAL_SETTINGS_FILE, AirflowManager
from newswire.airflow.settings import AirflowSettings
from newswire.settings import StackSettings


def _manager(tmp_path: Path, *, warm_tasks: bool) -> AirflowManager:
    return AirflowManager(
        AirflowSettings(warm_tasks=warm_tasks), StackSettings(home=tmp_path / "stack")
    )


def test_the_local_settings_are_written_when_warm_tasks_is_on_and_removed_when_off(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stack" / "airflow" / "config" / LOCAL_SETTINGS_FILE
    _manager(tmp_path, warm_tasks=True)._write_local_settings()
    assert path.read_text() == warm.LOCAL_SETTINGS
    _manager(tmp_path, warm_tasks=False)._write_local_settings()
    assert not path.exists()


def test_the_local_settings_export_nothing_and_warm_only_the_scheduler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / LOCAL_SETTINGS_FILE
    module.write_text(warm.LOCAL_SETTINGS)
    calls: list[bool] = []
    monkeypatch.setattr(warm, "warm_task_processes", lambda: calls.append(True))
    for argv, expected in ((["airflow", "api-server"], []), (["airflow", "scheduler"], [True])):
        calls.clear()
        monkeypatch.setattr(sys, "argv", argv)
        namespace = runpy.run_path(str(module))
        assert calls == expected
        # airflow.settings copies every name in __all__ into itself: nothing must be.
        assert namespace["__all__"] == []


def test_warming_imports_the_task_modules_in_a_fresh_interpreter() -> None:
    check = (
        "import sys\n"
        "from newswire.airflow.warm import TASK_MODULES, warm_task_processes\n"
        "before = [m for m in TASK_MODULES if m in sys.modules]\n"
        "warm_task_processes(extractor=False)\n"
        "print(before, [m for m in TASK_MODULES if m not in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # Not loaded by importing the warm-up module itself; all loaded after warming.
    assert result.stdout.strip() == "[] []"


def test_a_failed_warm_up_is_logged_and_does_not_stop_the_scheduler(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(warm, "TASK_MODULES", ("newswire.no_such_module",))
    with caplog.at_level(logging.WARNING, logger=warm.__name__):
        warm.warm_task_processes(extractor=False)
    assert "warming the task processes failed" in caplog.text
    assert "newswire.no_such_module" in caplog.text


def _variables_api(store: dict[str, str]) -> httpx.MockTransport:
    """Just enough of REST API v2 for Variables (pure logic of AirflowClient.variable_set)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(201, json={"access_token": "t"})
        key = request.url.path.rsplit("/", 1)[-1]
        if request.method == "GET":
            if key not in store:
                return httpx.Response(404)
            return httpx.Response(200, json={"key": key, "value": store[key]})
        if request.method in ("POST", "PATCH"):
            body = json.loads(request.content)
            if request.method == "POST" and body["key"] in store:
                return httpx.Response(409)
            store[body["key"]] = body["value"]
            return httpx.Response(200, json=body)
        store.pop(key, None)
        return httpx.Response(204)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("before", [None, "/earlier.yaml"])
def test_variable_set_restores_the_previous_value_or_removes_it(before: str | None) -> None:
    store = {} if before is None else {"v": before}
    client = AirflowClient("http://airflow", "u", "p", transport=_variables_api(store))
    with pytest.raises(RuntimeError), client.variable_set("v", "/bench.yaml"):
        assert store["v"] == "/bench.yaml"
        raise RuntimeError("the block failed")
    assert store == ({} if before is None else {"v": before})
