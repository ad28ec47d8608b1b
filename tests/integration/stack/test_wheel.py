"""The wheel works outside the checkout: resources come from the installed package.

Builds the wheel with ``uv build``, installs it with the lock's versions into a fresh virtual
environment in a temporary folder, and runs the command there (outside the repository, with a
stack home and a download cache of its own, so the pom must come from the wheel).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from newswire_testing.commands import run_process

from schemas.events import Event

ROOT = Path(__file__).resolve().parents[3]
SMALL_INPUT = ROOT / "tests" / "fixtures" / "extract" / "input_mixed.jsonl"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if found:
        return found
    local = ROOT / ".tools" / "bin" / "uv"
    if local.exists():
        return str(local)
    pytest.fail("uv not found (PATH, $UV or .tools/bin/uv): run `make install` first")


def _run(
    args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    result = run_process(args, cwd=cwd, env=env, timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def installed() -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh venv outside the repo with the built wheel installed; and the env to run it in."""
    # Under /var/tmp and world-readable: the Elasticsearch service user must reach the stack home.
    work = Path(tempfile.mkdtemp(prefix="newswire-wheel-test-", dir="/var/tmp"))
    work.chmod(0o755)
    try:
        yield _install(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install(work: Path) -> tuple[Path, dict[str, str]]:
    uv = _uv()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    _run([uv, "build", "--wheel", "-o", str(work / "dist")], cwd=ROOT, env=env)
    wheels = sorted((work / "dist").glob("newswire-*.whl"))
    assert len(wheels) == 1, wheels
    requirements = work / "requirements.txt"
    _run(
        [
            uv,
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-hashes",
            "-o",
            str(requirements),
        ],
        cwd=ROOT,
        env=env,
    )
    venv = work / "venv"
    _run([uv, "venv", "--python", sys.executable, str(venv)], cwd=work, env=env)
    _run(
        [
            uv,
            "pip",
            "install",
            "--python",
            str(venv / "bin" / "python"),
            "-r",
            str(requirements),
            str(wheels[0]),
        ],
        cwd=work,
        env=env,
    )
    run_env = {
        **env,
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "NEWSWIRE_STACK_HOME": str(work / "stack-home"),
        "XDG_CACHE_HOME": str(work / "empty-cache"),
        "XDG_STATE_HOME": str(work / "state"),
    }
    return venv, run_env


def test_the_installed_package_reads_its_resources_from_site_packages(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    venv, env = installed
    probe = (
        "import json, newswire.stack.manager as m, newswire.bootstrap as b;"
        "print(json.dumps([str(m.POM), str(m.KAFKA_LOG4J), str(b.KIBANA_DIR)]))"
    )
    result = _run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path, env=env)
    for path in map(Path, json.loads(result.stdout)):
        assert path.exists()
        assert path.is_relative_to(venv), f"{path} is not inside the installed package"


def test_help_and_extract_run_outside_the_checkout(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    venv, env = installed
    newswire = str(venv / "bin" / "newswire")
    help_text = _run([newswire, "--help"], cwd=tmp_path, env=env).stdout
    for command in ("stack", "publish", "consume", "ingest", "normalize", "extract", "search"):
        assert command in help_text
    source = tmp_path / "articles.jsonl"
    shutil.copyfile(SMALL_INPUT, source)
    output = tmp_path / "events.jsonl"
    result = run_process(
        [newswire, "extract", "--input", str(source), "--output", str(output)],
        cwd=tmp_path,
        env=env,
        timeout=600,
    )
    # The input mixes good lines with broken ones, so the command reports them and exits 1.
    assert result.returncode in (0, 1), result.stderr
    events = [Event.model_validate_json(line) for line in output.read_text().splitlines()]
    assert any(event.type.value == "LEADER_CONTACT" for event in events), events


def test_stack_up_status_and_down_with_an_empty_download_cache(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    venv, env = installed
    newswire = str(venv / "bin" / "newswire")
    assert not Path(env["XDG_CACHE_HOME"]).exists()
    try:
        _run([newswire, "stack", "up"], cwd=tmp_path, env=env, timeout=900)
        status = json.loads(
            _run([newswire, "stack", "status", "--json"], cwd=tmp_path, env=env).stdout
        )
        assert status["kafka"]["bootstrap_servers"].startswith("127.0.0.1:")
        assert status["elasticsearch"]["url"].startswith("http://127.0.0.1:")
        assert isinstance(status["elasticsearch"]["pid"], int)
        assert any(Path(env["XDG_CACHE_HOME"]).rglob("*.jar")), "Kafka was not resolved anew"
    finally:
        down = run_process([newswire, "stack", "down"], cwd=tmp_path, env=env, timeout=300)
    assert down.returncode == 0, down.stderr
    stopped = run_process(
        [newswire, "stack", "status", "--json"], cwd=tmp_path, env=env, timeout=120
    )
    assert stopped.returncode == 3, stopped.stdout
