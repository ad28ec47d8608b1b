"""``AirflowManager``: run ``airflow standalone`` next to the local stack, report on it, stop it.

Everything lives in ``<stack run dir>/airflow``: ``AIRFLOW_HOME`` (``airflow.cfg``), the SQLite
metadata database, the task logs, ``airflow.json`` (port, pid, login; mode 0600) and
``standalone.log``. The api-server listens on a loopback port picked once and kept, and the
execution API URL the task runners call points at that same port. The DAGs folder is the
repository's ``dags/``; the tasks get the local stack's connection settings (Kafka bootstrap
servers, Elasticsearch URL) and an ingest state directory through their environment. Unless
``NEWSWIRE_AIRFLOW_WARM_TASKS=false``, ``config/airflow_local_settings.py`` has the scheduler
import the task modules and load the spaCy model before its executor forks, so tasks start warm
(:mod:`newswire.airflow.warm`).

``airflow standalone`` starts the api-server, scheduler, dag-processor and triggerer as its
children in one session, so stopping is one process group; processes of an earlier
instance whose ``AIRFLOW_HOME`` is this home are found through ``/proc`` and stopped too.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from newswire.airflow.bootstrap import (
    FETCH_POOL,
    airflow_executable,
    bootstrap_via_api,
    migrate_database,
)
from newswire.airflow.client import AirflowClient
from newswire.airflow.errors import AirflowApiError, AirflowError
from newswire.airflow.settings import AirflowSettings
from newswire.airflow.warm import LOCAL_SETTINGS
from newswire.fsutil import directory_lock, write_text_atomically
from newswire.ingest.settings import IngestSettings
from newswire.settings import ElasticsearchSettings, KafkaSettings, StackSettings
from newswire.stack.processes import (
    free_port,
    is_alive,
    kill_all,
    log_tail,
    port_is_free,
    spawn_detached,
    stop_group,
)

log = logging.getLogger(__name__)

STATE_FILE = "airflow.json"
LOG_FILE = "standalone.log"
PASSWORDS_FILE = "simple_auth_manager_passwords.json"
LOCAL_SETTINGS_FILE = "airflow_local_settings.py"
DAG_ID = "ingest_news"
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class TaskSettings:
    """What the DAG's tasks are told through their environment: the stack and the ingest state."""

    kafka: KafkaSettings
    elasticsearch: ElasticsearchSettings
    ingest: IngestSettings

    @classmethod
    def from_environment(cls) -> TaskSettings:
        """Built from the environment (and the running stack's env file): for entry points."""
        return cls(KafkaSettings(), ElasticsearchSettings(), IngestSettings())


class AirflowState(BaseModel):
    """What ``airflow up`` recorded (``airflow.json``)."""

    port: int
    username: str
    password: str
    jwt_secret: str
    pid: int | None = None
    started_at: float | None = None


@dataclass(frozen=True, slots=True)
class AirflowStatus:
    """The local Airflow as ``airflow status`` shows it."""

    running: bool
    api_url: str | None
    username: str | None
    password: str | None
    pid: int | None
    airflow_home: str
    dags_folder: str
    log: str
    version: str | None = None
    dag_registered: bool = False
    pool_exists: bool = False
    reused: bool = False

    @property
    def ui_url(self) -> str | None:
        """Where the UI is (the api-server serves it)."""
        return self.api_url

    def to_json(self) -> dict[str, Any]:
        """The ``airflow status --json`` document (``api_url``, ``username``, ``password`` kept)."""
        return {**asdict(self), "ui_url": self.ui_url}


def processes_with_env(name: str, value: str) -> list[int]:
    """Live pids (other than this one) whose environment has ``name=value``."""
    wanted = f"{name}={value}".encode()
    me = os.getpid()
    found: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0") and is_alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def process_group(pid: int) -> int | None:
    """The process group of a live ``pid`` (``None`` when it is gone)."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    return int(fields[2])


class AirflowManager:
    """Starts and stops the Airflow of one stack run directory."""

    def __init__(self, settings: AirflowSettings, stack: StackSettings) -> None:
        self.settings = settings
        self.stack_home = stack.home
        self.home = self.stack_home / "airflow"

    # -- files -----------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        """``airflow.json`` in the Airflow home."""
        return self.home / STATE_FILE

    @property
    def log_path(self) -> Path:
        """The output of ``airflow standalone`` and its components."""
        return self.home / LOG_FILE

    def _load_state(self) -> AirflowState | None:
        try:
            return AirflowState.model_validate_json(self.state_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as exc:
            raise AirflowError(f"the Airflow state {self.state_path} is unreadable: {exc}") from exc

    def _save_state(self, state: AirflowState) -> None:
        write_text_atomically(self.state_path, state.model_dump_json(indent=2))
        self.state_path.chmod(0o600)

    def _locked(self) -> AbstractContextManager[None]:
        return directory_lock(self.home)

    # -- environment -------------------------------------------------------------------------
    def _database_url(self) -> str:
        if self.settings.sql_alchemy_conn is not None:
            return self.settings.sql_alchemy_conn.get_secret_value()
        return f"sqlite:///{self.home / 'airflow.db'}"

    def task_environment(self, tasks: TaskSettings) -> dict[str, str]:
        """The local stack's connection settings, as the DAG's tasks read them."""
        ingest = tasks.ingest
        state_dir = (
            ingest.state_dir
            if "state_dir" in ingest.model_fields_set
            else self.stack_home / "ingest"
        )
        return {
            "NEWSWIRE_STACK_HOME": str(self.stack_home),
            "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS": tasks.kafka.bootstrap_servers,
            "NEWSWIRE_ES_URL": tasks.elasticsearch.url,
            "NEWSWIRE_INGEST_STATE_DIR": str(state_dir),
        }

    def environment(self, state: AirflowState, tasks: TaskSettings) -> dict[str, str]:
        """The whole environment of the Airflow processes."""
        dags = self.settings.dags_folder
        env = dict(os.environ)
        env.update(self.task_environment(tasks))
        # ``airflow standalone`` starts its components as ``airflow ...`` from PATH.
        bin_dir = str(Path(airflow_executable()).parent)
        env["PATH"] = os.pathsep.join(part for part in (bin_dir, env.get("PATH", "")) if part)
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": str(self.settings.parallelism),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{state.port}/execution/",
                "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{state.username}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
                    self.home / PASSWORDS_FILE
                ),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self._database_url(),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(state.port),
                "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{state.port}",
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API_AUTH__JWT_SECRET": state.jwt_secret,
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            }
        )
        return env

    # -- life cycle --------------------------------------------------------------------------
    def _new_state(self, previous: AirflowState | None) -> AirflowState:
        port = self.settings.port or (previous.port if previous else 0)
        if not port or not port_is_free(port):
            if self.settings.port:
                raise AirflowError(f"port {port} (NEWSWIRE_AIRFLOW_PORT) is in use")
            port = free_port()
        password = (
            self.settings.password.get_secret_value()
            if self.settings.password is not None
            else (previous.password if previous else secrets.token_urlsafe(12))
        )
        return AirflowState(
            port=port,
            username=self.settings.username,
            password=password,
            jwt_secret=previous.jwt_secret if previous else secrets.token_urlsafe(32),
        )

    def _client(self, state: AirflowState) -> AirflowClient:
        return AirflowClient(
            f"http://127.0.0.1:{state.port}",
            state.username,
            state.password,
            timeout_seconds=self.settings.api_timeout_seconds,
        )

    def _answers(self, state: AirflowState) -> bool:
        try:
            response = httpx.get(
                f"http://127.0.0.1:{state.port}/api/v2/monitor/health",
                timeout=min(self.settings.api_timeout_seconds, 5.0),
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def _running(self, state: AirflowState | None) -> bool:
        return state is not None and is_alive(state.pid) and self._answers(state)

    def up(self, tasks: TaskSettings) -> AirflowStatus:
        """Start Airflow (or reuse the running one), bootstrap it, wait for ``ingest_news``.

        A start hands ``tasks`` to the DAG's tasks (:meth:`task_environment`).
        """
        dags = self.settings.dags_folder
        if not (dags / f"{DAG_ID}.py").is_file():
            raise AirflowError(
                f"no {DAG_ID}.py in the DAGs folder {dags} (NEWSWIRE_AIRFLOW_DAGS_FOLDER)"
            )
        with self._locked():
            state = self._load_state()
            reused = self._running(state)
            if not reused:
                state = self._start(state, tasks)
            assert state is not None
            self._wait_ready(state)
        return self._status(state, reused=reused)

    def _start(self, previous: AirflowState | None, tasks: TaskSettings) -> AirflowState:
        self._stop_all(previous)
        state = self._new_state(previous)
        write_text_atomically(
            self.home / PASSWORDS_FILE, json.dumps({state.username: state.password})
        )
        (self.home / PASSWORDS_FILE).chmod(0o600)
        self._write_local_settings()
        env = self.environment(state, tasks)
        log.info("migrating the Airflow metadata database in %s", self.home)
        migrate_database(env=env, timeout_seconds=self.settings.migrate_timeout_seconds)
        pid = spawn_detached(
            [airflow_executable(), "standalone"], log_path=self.log_path, env=env, cwd=self.home
        )
        state = state.model_copy(update={"pid": pid, "started_at": time.time()})
        self._save_state(state)
        log.info("airflow standalone started (pid %d, port %d)", pid, state.port)
        return state

    def _write_local_settings(self) -> None:
        """``config/airflow_local_settings.py``: the scheduler's warm-up, or none when it is off."""
        path = self.home / "config" / LOCAL_SETTINGS_FILE
        if self.settings.warm_tasks:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(path, LOCAL_SETTINGS)
        else:
            path.unlink(missing_ok=True)

    def _wait_ready(self, state: AirflowState) -> None:
        """Wait for the api-server, bootstrap pools, wait until ``ingest_news`` is registered."""
        deadline = time.monotonic() + self.settings.start_timeout_seconds
        step = "the api-server to answer"
        while time.monotonic() < deadline:
            if not is_alive(state.pid):
                raise AirflowError(
                    f"airflow standalone exited while waiting for {step}; "
                    f"see {self.log_path}:\n{log_tail(self.log_path, 30)}"
                )
            if self._answers(state):
                try:
                    with self._client(state) as client:
                        step = "the pools to be created"
                        bootstrap_via_api(client)
                        step = f"{DAG_ID} to be registered"
                        if client.get_dag(DAG_ID) is not None:
                            return
                except AirflowApiError as exc:
                    log.debug("not ready yet: %s", exc)
            time.sleep(1.0)
        raise AirflowError(
            f"Airflow is not ready after {self.settings.start_timeout_seconds:.0f} s "
            f"(waiting for {step}); see {self.log_path}:\n{log_tail(self.log_path, 30)}"
        )

    def _stop_all(self, state: AirflowState | None) -> list[int]:
        stopped: list[int] = []
        if state is not None and state.pid and is_alive(state.pid):
            stop_group(state.pid, timeout_s=self.settings.stop_timeout_seconds)
            stopped.append(state.pid)
        stale = processes_with_env("AIRFLOW_HOME", str(self.home))
        if stale:
            # Their whole process groups: some components (the api-server) rewrite their
            # process title over their environment, so only their group finds them.
            groups = sorted({group for group in map(process_group, stale) if group})
            log.info(
                "stopping %d stale Airflow process(es) of %s (groups %s)",
                len(stale),
                self.home,
                groups,
            )
            for group in groups:
                if group != os.getpgrp():
                    stop_group(group, timeout_s=self.settings.stop_timeout_seconds)
            kill_all([pid for pid in stale if is_alive(pid)], timeout_s=5.0)
            stopped.extend(stale)
        return stopped

    def down(self) -> list[int]:
        """Stop the Airflow of this run directory and any stale process of it; return their pids."""
        with self._locked():
            state = self._load_state()
            stopped = self._stop_all(state)
            if state is not None and state.pid is not None:
                self._save_state(state.model_copy(update={"pid": None}))
        return stopped

    def status(self) -> AirflowStatus:
        """Whether Airflow runs, where, with which login, and whether ``ingest_news`` is there."""
        return self._status(self._load_state())

    def _status(self, state: AirflowState | None, *, reused: bool = False) -> AirflowStatus:
        home, dags, log_file = str(self.home), str(self.settings.dags_folder), str(self.log_path)
        if state is None:
            return AirflowStatus(
                running=False,
                api_url=None,
                username=None,
                password=None,
                pid=None,
                airflow_home=home,
                dags_folder=dags,
                log=log_file,
            )
        running = self._running(state)
        version = None
        registered = pool = False
        if running:
            try:
                with self._client(state) as client:
                    version = client.version()
                    registered = client.get_dag(DAG_ID) is not None
                    pool = (
                        client.request(
                            "GET", f"/api/v2/pools/{FETCH_POOL.name}", ok=(200, 404)
                        ).status_code
                        == 200
                    )
            except AirflowApiError as exc:
                log.warning("Airflow answers but its API does not: %s", exc)
        return AirflowStatus(
            running=running,
            api_url=f"http://127.0.0.1:{state.port}",
            username=state.username,
            password=state.password,
            pid=state.pid if running else None,
            version=version,
            dag_registered=registered,
            pool_exists=pool,
            reused=reused,
            airflow_home=home,
            dags_folder=dags,
            log=log_file,
        )

    def was_started(self) -> bool:
        """Whether ``up`` started Airflow here and no ``down`` stopped it since."""
        state = self._load_state()
        return state is not None and state.pid is not None

    def client(self) -> AirflowClient:
        """A client of the running Airflow, logged in with the recorded user."""
        state = self._load_state()
        if state is None:
            raise AirflowError("Airflow was never started here (run `newswire airflow up`)")
        return self._client(state)


def status_json(status: AirflowStatus) -> str:
    """``status`` as the JSON ``airflow status --json`` prints."""
    return json.dumps(status.to_json(), indent=2)
