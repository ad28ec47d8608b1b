"""`newswire stack up|down|status` against real servers, and the errors of a bad configuration."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from newswire_testing.commands import run_process

from newswire.settings import StackSettings
from newswire.stack import StackManager
from newswire.stack.artifacts import ArtifactCache
from newswire.stack.errors import CorruptCacheError, JdkNotFoundError, PortInUseError
from newswire.stack.manager import POM, StackState
from newswire.stack.processes import group_members, is_alive, port_is_free, servers_of

pytestmark = pytest.mark.integration

NEWSWIRE = [sys.executable, "-m", "newswire"]


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """A run directory of a second, test-owned stack (reachable by the Elasticsearch user)."""
    path = Path(tempfile.mkdtemp(prefix="newswire-stack-test-", dir="/var/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        StackManager(StackSettings(home=path)).down()
        shutil.rmtree(path, ignore_errors=True)


def test_stack_up_twice_reuses_the_running_stack() -> None:
    manager = StackManager(StackSettings())
    before = manager.status()
    assert before.running, "the shared stack should be up (newswire stack up)"
    again = manager.up()
    assert again.reused
    assert again.kafka is not None and before.kafka is not None
    assert again.elasticsearch is not None and before.elasticsearch is not None
    assert again.kafka.pid == before.kafka.pid
    assert again.elasticsearch.pid == before.elasticsearch.pid


def test_status_json_prints_the_kept_connection_fields() -> None:
    result = run_process([*NEWSWIRE, "stack", "status", "--json"], timeout=60)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["kafka"]["bootstrap_servers"].startswith("127.0.0.1:")
    assert status["elasticsearch"]["url"].startswith("http://127.0.0.1:")
    # The servers that run are the versions the stack settings pin (not a copy of them here).
    pinned = StackSettings()
    assert status["elasticsearch"]["version"] == pinned.elasticsearch_version
    assert status["kafka"]["version"] == pinned.kafka_version
    assert status["running"] is True


def test_a_second_stack_starts_from_the_cache_is_reused_and_stops_without_leftovers(
    run_dir: Path,
) -> None:
    manager = StackManager(StackSettings(home=run_dir))
    first = manager.up()
    assert first.running and not first.reused
    assert first.artifacts_from_cache == {"kafka": True, "elasticsearch": True}
    assert (run_dir / "stack.env").read_text().count("127.0.0.1:") == 2
    assert first.kafka is not None and first.elasticsearch is not None
    assert first.kafka.pid is not None and first.elasticsearch.pid is not None
    members = group_members(first.kafka.pid) + group_members(first.elasticsearch.pid)
    assert len(members) >= 3  # the broker, the Elasticsearch launcher and its server JVM
    assert servers_of(str(run_dir) + os.sep)

    second = manager.up()
    assert second.reused
    assert second.kafka is not None and first.kafka is not None
    assert second.kafka.pid == first.kafka.pid

    state = StackState.model_validate_json((run_dir / "stack.json").read_text())
    stopped = manager.down()
    assert len(stopped) >= 2
    assert [pid for pid in members if is_alive(pid)] == []
    assert servers_of(str(run_dir) + os.sep) == []
    for port in (state.kafka_port, state.kafka_controller_port, state.elasticsearch_port):
        assert port_is_free(port), f"port {port} is still in use after stack down"
    assert not manager.status().running
    assert not (run_dir / "stack.env").exists()


def test_a_taken_port_is_a_clear_error_and_starts_nothing(run_dir: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        manager = StackManager(StackSettings(home=run_dir, kafka_port=port))
        with pytest.raises(PortInUseError, match=f"port {port} for the Kafka broker"):
            manager.up()
    assert servers_of(str(run_dir) + os.sep) == []


def test_a_missing_jdk_is_a_clear_error_naming_where_it_looked(run_dir: Path) -> None:
    empty = run_dir / "no-jvms"
    empty.mkdir()
    settings = StackSettings(
        home=run_dir,
        jvm_search_dirs=(empty,),
        kafka_java_home=None,
        java_home=None,
        es_java_home=None,
    )
    with pytest.raises(JdkNotFoundError) as caught:
        StackManager(settings).up()
    message = str(caught.value)
    assert "no Java 17 or newer found" in message
    assert str(empty) in message
    assert "JAVA_HOME (not set)" in message


@pytest.fixture
def copied_cache(tmp_path: Path) -> Path:
    """A copy of the Kafka cache entry (a real copy: the test corrupts it)."""
    source = ArtifactCache(StackSettings().cache_dir, POM).kafka(StackSettings().kafka_version)
    target = tmp_path / "cache" / "artifacts" / source.folder.name
    shutil.copytree(source.folder, target)
    return tmp_path / "cache"


def test_a_corrupted_cache_entry_is_reported_offline_and_repaired_online(
    copied_cache: Path,
) -> None:
    version = StackSettings().kafka_version
    entry = copied_cache / "artifacts" / f"kafka-{version}"
    victim = entry / f"kafka-clients-{version}.jar"
    with victim.open("ab") as handle:
        handle.write(b"garbage")

    offline = ArtifactCache(copied_cache, POM, offline=True)
    with pytest.raises(CorruptCacheError, match=f"corrupted cache entry: {victim}"):
        offline.kafka(version)

    repaired = ArtifactCache(copied_cache, POM).kafka(version)
    assert not repaired.from_cache
    assert ArtifactCache(copied_cache, POM, offline=True).kafka(version).from_cache


def test_the_cli_reports_a_corrupted_cache_with_exit_code_1(
    copied_cache: Path, run_dir: Path
) -> None:
    version = StackSettings().kafka_version
    (copied_cache / "artifacts" / f"kafka-{version}" / f"kafka-clients-{version}.jar").write_bytes(
        b""
    )
    env = {
        **os.environ,
        "NEWSWIRE_STACK_HOME": str(run_dir),
        "NEWSWIRE_STACK_CACHE_DIR": str(copied_cache),
        "NEWSWIRE_STACK_OFFLINE": "1",
    }
    result = run_process([*NEWSWIRE, "stack", "up"], timeout=120, env=env)
    assert result.returncode == 1
    assert "corrupted cache entry" in result.stderr
    assert servers_of(str(run_dir) + os.sep) == []


def test_a_recorded_pid_reused_by_another_process_is_neither_trusted_nor_killed(
    run_dir: Path,
) -> None:
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        state = StackState(
            kafka_version="4.4.0",
            elasticsearch_version="8.19.21",
            kafka_port=1,
            kafka_controller_port=2,
            elasticsearch_port=3,
            elasticsearch_transport_port=4,
            kafka_cluster_id="x",
            kafka_pid=bystander.pid,
            elasticsearch_pid=bystander.pid,
        )
        (run_dir / "stack.json").write_text(state.model_dump_json())
        manager = StackManager(StackSettings(home=run_dir))
        assert not manager.status().running
        assert manager.down() == []
        assert bystander.poll() is None, "stack down killed a process that was not ours"
    finally:
        bystander.kill()
        bystander.wait()
