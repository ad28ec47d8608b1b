"""``StackManager``: bring the local stack up, report on it, take it down."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from newswire.bootstrap import bootstrap as bootstrap_catalogues
from newswire.fsutil import directory_lock, write_text_atomically
from newswire.resources import resource_path
from newswire.settings import ElasticsearchSettings, KafkaSettings, StackSettings
from newswire.stack import elasticsearch as es
from newswire.stack import kafka, security
from newswire.stack.artifacts import ArtifactCache
from newswire.stack.errors import PortInUseError, StackError
from newswire.stack.jdk import find_java_home
from newswire.stack.processes import (
    free_port,
    kill_all,
    port_is_free,
    runs_from,
    servers_of,
    stop_group,
)

log = logging.getLogger(__name__)

POM = resource_path("newswire.stack", "resources", "pom.xml")
KAFKA_LOG4J = resource_path("newswire.stack", "resources", "kafka-log4j2.properties")
STATE_FILE = "stack.json"
ENV_FILE = "stack.env"


class StackState(BaseModel):
    """What ``stack up`` recorded about the servers it started (``stack.json``)."""

    kafka_version: str
    elasticsearch_version: str
    kafka_port: int
    kafka_controller_port: int
    elasticsearch_port: int
    elasticsearch_transport_port: int
    kafka_cluster_id: str
    kafka_pid: int | None = None
    elasticsearch_pid: int | None = None
    kafka_java: str | None = None
    elasticsearch_java: str | None = None
    started_at: float | None = None
    security: bool = False


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """One server as ``stack status`` shows it."""

    version: str
    pid: int | None
    running: bool
    log: str
    java: str | None
    health: str | None = None


@dataclass(frozen=True, slots=True)
class StackStatus:
    """The whole stack as ``stack status`` shows it."""

    run_dir: str
    running: bool
    bootstrap_servers: str | None
    elasticsearch_url: str | None
    kafka: ServerStatus | None
    elasticsearch: ServerStatus | None
    reused: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    artifacts_from_cache: dict[str, bool] = field(default_factory=dict)
    security: bool = False
    kafka_client: dict[str, Any] = field(default_factory=dict)
    elasticsearch_client: dict[str, Any] = field(default_factory=dict)
    credentials_file: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``stack status --json`` document.

        ``kafka.bootstrap_servers``, ``elasticsearch.url`` and ``elasticsearch.pid`` are a kept
        contract. A secured stack adds what its clients need except the passwords:
        ``kafka.security_protocol``, ``sasl_mechanism``, ``sasl_username``, ``ssl_cafile``,
        ``elasticsearch.ca_certs``, ``username``, and ``credentials_file``, the path of the
        file (owner-only) that holds the generated passwords.
        """
        kafka_part: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers}
        if self.kafka is not None:
            kafka_part.update(asdict(self.kafka))
        kafka_part.update(self.kafka_client)
        es_part: dict[str, Any] = {"url": self.elasticsearch_url}
        if self.elasticsearch is not None:
            es_part.update(asdict(self.elasticsearch))
        es_part.update(self.elasticsearch_client)
        document: dict[str, Any] = {
            "running": self.running,
            "security": self.security,
            "run_dir": self.run_dir,
            "kafka": kafka_part,
            "elasticsearch": es_part,
            "reused": self.reused,
            "timings_s": self.timings,
            "artifacts_from_cache": self.artifacts_from_cache,
        }
        if self.credentials_file is not None:
            document["credentials_file"] = self.credentials_file
        return document


def elasticsearch_server(
    settings: StackSettings,
    layout: es.ElasticsearchLayout,
    cache: ArtifactCache,
    version: str,
) -> es.ElasticsearchServer:
    """A node configured as the stack runs it, not yet prepared or started.

    It gets the JDK 21+ of ``ES_JAVA_HOME``, ``JAVA_HOME`` or the search folders, the zip of
    ``version`` from ``cache``, and the heap and service user of ``settings``. Tests that need a
    node of their own (to stop and restart it) build it here rather than touch the shared one.
    """
    java = find_java_home(
        21,
        explicit=[
            ("ES_JAVA_HOME", settings.es_java_home),
            ("JAVA_HOME", settings.java_home),
        ],
        search_dirs=settings.jvm_search_dirs,
    )
    return es.ElasticsearchServer(
        layout,
        cache.elasticsearch(version),
        java,
        heap_mb=settings.elasticsearch_heap_mb,
        service_user=settings.elasticsearch_user,
    )


class StackManager:
    """Starts and stops the local Kafka broker and Elasticsearch node of one run directory."""

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.home = self.settings.home
        self.kafka_layout = kafka.KafkaLayout(self.home / "kafka")
        self.es_layout = es.ElasticsearchLayout(self.home / "elasticsearch")
        self.security_layout = security.SecurityLayout(self.home / "security")

    @property
    def _marker(self) -> str:
        """What every server command line of this run directory contains."""
        return str(self.home) + os.sep

    # -- state -----------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        """``stack.json`` in the run directory."""
        return self.home / STATE_FILE

    @property
    def env_path(self) -> Path:
        """``stack.env``: the connection settings the services' settings objects read."""
        return self.home / ENV_FILE

    def _load_state(self) -> StackState | None:
        try:
            return StackState.model_validate_json(self.state_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as exc:
            raise StackError(f"the stack state {self.state_path} is unreadable: {exc}") from exc

    def _save_state(self, state: StackState) -> None:
        write_text_atomically(self.state_path, state.model_dump_json(indent=2))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o755)
        with directory_lock(self.home):
            yield

    @staticmethod
    def _urls(state: StackState) -> tuple[str, str]:
        scheme = "https" if state.security else "http"
        return (
            f"127.0.0.1:{state.kafka_port}",
            f"{scheme}://127.0.0.1:{state.elasticsearch_port}",
        )

    def _credentials(self, state: StackState) -> security.Credentials | None:
        """The secured stack's credentials (generated on first use); None when not secured."""
        if not state.security:
            return None
        return security.load_or_create(
            self.security_layout, kafka_formatted=self.kafka_layout.formatted
        )

    def client_settings(
        self, state: StackState, credentials: security.Credentials | None
    ) -> tuple[KafkaSettings, ElasticsearchSettings]:
        """How a client reaches this stack: addresses, and when secured, credentials and CA."""
        bootstrap, url = self._urls(state)
        return security.client_settings(
            bootstrap,
            url,
            layout=self.security_layout if credentials is not None else None,
            credentials=credentials,
        )

    def _write_env(self, kafka_settings: KafkaSettings, es_settings: ElasticsearchSettings) -> None:
        lines = security.environment_lines(kafka_settings, es_settings)
        text = "# Written by `newswire stack up`; read by newswire's settings objects.\n"
        text += "".join(f"{line}\n" for line in lines)
        try:
            unchanged = self.env_path.read_text() == text
            private = self.env_path.stat().st_mode & 0o777 == security.PRIVATE
        except FileNotFoundError:
            unchanged = private = False
        if unchanged and private:
            return  # readers of the file see it stay as it was
        # It may hold the secured stack's passwords.
        write_text_atomically(self.env_path, text, mode=security.PRIVATE)

    # -- ports -----------------------------------------------------------------------------
    def _initial_state(self) -> StackState:
        chosen: dict[str, int] = {}
        for name in (
            "kafka_port",
            "kafka_controller_port",
            "elasticsearch_port",
            "elasticsearch_transport_port",
        ):
            configured: int = getattr(self.settings, name)
            port = configured or free_port()
            while port in chosen.values():
                port = free_port()
            chosen[name] = port
        return StackState(
            kafka_version=self.settings.kafka_version,
            elasticsearch_version=self.settings.elasticsearch_version,
            kafka_cluster_id=kafka.new_cluster_id(),
            security=bool(self.settings.security),
            **chosen,
        )

    def _repick_taken_ports(
        self, state: StackState, *, kafka_alive: bool, es_alive: bool
    ) -> StackState:
        """Replace remembered ports that another process took meanwhile, unless configured.

        Ports picked automatically come from the ephemeral range, where a client socket may sit
        after a restart; a port the user configured is kept, and a clash is reported.
        """
        names: list[str] = []
        if not kafka_alive:
            names += ["kafka_port", "kafka_controller_port"]
        if not es_alive:
            names += ["elasticsearch_port", "elasticsearch_transport_port"]
        updates: dict[str, int] = {}
        for name in names:
            current: int = getattr(state, name)
            if getattr(self.settings, name) == 0 and not port_is_free(current):
                updates[name] = free_port()
                log.warning("port %d (%s) is taken; using %d", current, name, updates[name])
        return state.model_copy(update=updates) if updates else state

    @staticmethod
    def _check_ports(ports: dict[str, int]) -> None:
        for purpose, port in ports.items():
            if not port_is_free(port):
                raise PortInUseError(
                    f"port {port} for the {purpose} on 127.0.0.1 is taken by another process; "
                    "stop that process or choose another port (NEWSWIRE_STACK_*_PORT)"
                )

    # -- up --------------------------------------------------------------------------------
    def up(self) -> StackStatus:
        """Start whatever is not running, wait until both servers answer, bootstrap them.

        Idempotent: a healthy running stack is reused as it is.
        """
        try:
            with self._locked():
                return self._up()
        except OSError as exc:
            raise StackError(f"cannot prepare the stack in {self.home}: {exc}") from exc

    def _up(self) -> StackStatus:
        timings: dict[str, float] = {}
        state = self._load_state()
        if state is not None and (
            state.kafka_version != self.settings.kafka_version
            or state.elasticsearch_version != self.settings.elasticsearch_version
        ):
            raise StackError(
                f"the stack in {self.home} was created for Kafka {state.kafka_version} / "
                f"Elasticsearch {state.elasticsearch_version}; run `newswire stack down` and "
                "remove that folder to change versions"
            )
        wanted = self.settings.security
        if state is not None and wanted is not None and state.security != wanted:
            created, asked = ("on", "off") if state.security else ("off", "on")
            raise StackError(
                f"the stack in {self.home} was created with security {created}, not {asked}; "
                + ("start it without NEWSWIRE_STACK_SECURITY=off, " if state.security else "")
                + "or run `newswire stack down` and remove that folder to change it"
            )
        state = state or self._initial_state()
        credentials = self._credentials(state)
        kafka_alive = runs_from(state.kafka_pid, self._marker)
        es_alive = runs_from(state.elasticsearch_pid, self._marker)
        reused = kafka_alive and es_alive

        if not kafka_alive or not es_alive:
            state = self._repick_taken_ports(state, kafka_alive=kafka_alive, es_alive=es_alive)
        to_check: dict[str, int] = {}
        if not kafka_alive:
            to_check["Kafka broker"] = state.kafka_port
            to_check["Kafka controller"] = state.kafka_controller_port
        if not es_alive:
            to_check["Elasticsearch HTTP API"] = state.elasticsearch_port
            to_check["Elasticsearch transport"] = state.elasticsearch_transport_port
        self._check_ports(to_check)

        cache = ArtifactCache(
            self.settings.cache_dir,
            POM,
            maven_command=self.settings.maven_command,
            offline=self.settings.offline,
        )
        from_cache: dict[str, bool] = {}
        started: list[int] = []
        try:
            # Both servers are resolved before either starts (a missing JDK starts nothing);
            # Elasticsearch starts first: it takes longest to boot, while Kafka formats.
            server: kafka.KafkaServer | None = None
            if not kafka_alive:
                t0 = time.monotonic()
                kafka_java = find_java_home(
                    17,
                    explicit=[
                        ("NEWSWIRE_STACK_KAFKA_JAVA_HOME", self.settings.kafka_java_home),
                        ("JAVA_HOME", self.settings.java_home),
                    ],
                    search_dirs=self.settings.jvm_search_dirs,
                    prefer_lowest=True,
                )
                artifact = cache.kafka(state.kafka_version)
                from_cache["kafka"] = artifact.from_cache
                timings["kafka_resolve"] = time.monotonic() - t0
                server = kafka.KafkaServer(
                    self.kafka_layout,
                    artifact,
                    kafka_java,
                    KAFKA_LOG4J,
                    heap_mb=self.settings.kafka_heap_mb,
                    security=self._broker_security(credentials),
                )
            node: es.ElasticsearchServer | None = None
            if not es_alive:
                t0 = time.monotonic()
                node = elasticsearch_server(
                    self.settings, self.es_layout, cache, state.elasticsearch_version
                )
                from_cache["elasticsearch"] = node.artifact.from_cache
                timings["elasticsearch_resolve"] = time.monotonic() - t0
                node.prepare(
                    http_port=state.elasticsearch_port,
                    transport_port=state.elasticsearch_transport_port,
                    security=self._node_security(credentials),
                )
                state.elasticsearch_pid = node.start()
                state.elasticsearch_java = str(node.java.path)
                started.append(state.elasticsearch_pid)
            if server is not None:
                server.configure(
                    broker_port=state.kafka_port, controller_port=state.kafka_controller_port
                )
                server.format_storage(state.kafka_cluster_id)
                state.kafka_pid = server.start()
                state.kafka_java = str(server.java.path)
                started.append(state.kafka_pid)
            state.started_at = state.started_at if reused else time.time()
            self._save_state(state)

            assert state.kafka_pid is not None and state.elasticsearch_pid is not None
            kafka_settings, es_settings = self.client_settings(state, credentials)
            url = es_settings.url
            timings["kafka_ready"] = kafka.wait_for_broker(
                kafka_settings,
                state.kafka_pid,
                timeout_s=self.settings.start_timeout_seconds,
                log_path=self.kafka_layout.logs / "server.log",
                console_log=self.kafka_layout.console_log,
            )
            timings["elasticsearch_ready"] = es.wait_for_node(
                url,
                state.elasticsearch_pid,
                timeout_s=self.settings.start_timeout_seconds,
                log_path=self.es_layout.server_log,
                console_log=self.es_layout.console_log,
                access=es_settings,
            )
        except BaseException:
            for pid in started:
                stop_group(pid, timeout_s=15)
            if state.kafka_pid in started:
                state.kafka_pid = None
            if state.elasticsearch_pid in started:
                state.elasticsearch_pid = None
            self._save_state(state)
            raise

        t0 = time.monotonic()
        bootstrap_catalogues(kafka_settings, es_settings)
        timings["bootstrap"] = time.monotonic() - t0
        self._write_env(kafka_settings, es_settings)
        return replace(
            self._status(state, credentials),
            reused=reused,
            timings={k: round(v, 2) for k, v in timings.items()},
            artifacts_from_cache=from_cache,
        )

    # -- status ----------------------------------------------------------------------------
    def status(self) -> StackStatus:
        """Report what runs; never starts anything."""
        state = self._load_state()
        if state is None:
            return StackStatus(
                run_dir=str(self.home),
                running=False,
                bootstrap_servers=None,
                elasticsearch_url=None,
                kafka=None,
                elasticsearch=None,
            )
        credentials = security.read_credentials(self.security_layout) if state.security else None
        return self._status(state, credentials)

    def _status(self, state: StackState, credentials: security.Credentials | None) -> StackStatus:
        bootstrap, url = self._urls(state)
        kafka_settings, es_settings = (
            self.client_settings(state, credentials)
            if credentials is not None or not state.security
            else (None, None)
        )
        kafka_running = (
            runs_from(state.kafka_pid, self._marker)
            and kafka_settings is not None
            and kafka.broker_ready(kafka_settings)
        )
        es_running = runs_from(state.elasticsearch_pid, self._marker)
        health = es.cluster_health(url, access=es_settings) if es_running else None
        es_version = (
            es.node_version(url, access=es_settings) if health else None
        ) or state.elasticsearch_version
        return StackStatus(
            run_dir=str(self.home),
            running=kafka_running and health in {"green", "yellow"},
            bootstrap_servers=bootstrap,
            elasticsearch_url=url,
            kafka=ServerStatus(
                version=state.kafka_version,
                pid=state.kafka_pid if kafka_running else None,
                running=kafka_running,
                log=str(self.kafka_layout.logs / "server.log"),
                java=state.kafka_java,
            ),
            elasticsearch=ServerStatus(
                version=es_version,
                pid=state.elasticsearch_pid if es_running else None,
                running=es_running and health is not None,
                log=str(self.es_layout.server_log),
                java=state.elasticsearch_java,
                health=health,
            ),
            security=state.security,
            kafka_client=_kafka_client_fields(kafka_settings) if state.security else {},
            elasticsearch_client=_es_client_fields(es_settings) if state.security else {},
            credentials_file=str(self.security_layout.credentials) if state.security else None,
        )

    def _broker_security(
        self, credentials: security.Credentials | None
    ) -> kafka.BrokerSecurity | None:
        if credentials is None:
            return None
        layout = self.security_layout
        keystore = self.kafka_layout.root / "tls" / "server.pem"
        # Kafka's PEM key store: the private key, then the certificate chain, in one file.
        write_text_atomically(
            keystore,
            layout.server_key.read_text() + layout.server_cert.read_text(),
            mode=security.PRIVATE,
        )
        return kafka.BrokerSecurity(
            keystore=keystore,
            truststore=layout.ca_cert,
            mechanism=security.KAFKA_MECHANISM,
            admin_username=security.KAFKA_ADMIN,
            admin_password=credentials.kafka_admin_password,
            scram_arguments=tuple(security.kafka_scram_arguments(credentials)),
            passwords=(credentials.kafka_admin_password, credentials.kafka_password),
        )

    def _node_security(self, credentials: security.Credentials | None) -> es.NodeSecurity | None:
        if credentials is None:
            return None
        layout = self.security_layout
        return es.NodeSecurity(
            ca_cert=layout.ca_cert,
            server_cert=layout.server_cert,
            server_key=layout.server_key,
            users=security.es_users_file(credentials),
            users_roles=security.es_users_roles_file(),
            roles=security.ROLES_YML,
        )

    # -- down ------------------------------------------------------------------------------
    def down(self) -> list[int]:
        """Stop everything this run directory started; returns the pids that were stopped."""
        with self._locked():
            state = self._load_state()
            stopped: list[int] = []
            if state is not None:
                # Elasticsearch first: it takes longest, and Kafka does not depend on it.
                for pid in (state.elasticsearch_pid, state.kafka_pid):
                    if pid and runs_from(pid, self._marker):
                        stop_group(pid, timeout_s=40)
                        stopped.append(pid)
                state.kafka_pid = None
                state.elasticsearch_pid = None
                self._save_state(state)
            strays = servers_of(self._marker)
            if strays:
                log.warning("stopping stray processes of %s: %s", self.home, strays)
                kill_all(strays)
                stopped.extend(strays)
            self.env_path.unlink(missing_ok=True)
            return stopped


def _kafka_client_fields(settings: KafkaSettings | None) -> dict[str, Any]:
    if settings is None:
        return {}
    return {
        "security_protocol": settings.security_protocol,
        "sasl_mechanism": settings.sasl_mechanism,
        "sasl_username": settings.sasl_username,
        "ssl_cafile": str(settings.ssl_cafile) if settings.ssl_cafile else None,
    }


def _es_client_fields(settings: ElasticsearchSettings | None) -> dict[str, Any]:
    if settings is None:
        return {}
    return {
        "ca_certs": str(settings.ca_certs) if settings.ca_certs else None,
        "username": settings.username,
    }


def status_json(status: StackStatus) -> str:
    """``stack status --json`` output."""
    return json.dumps(status.to_json(), indent=2, sort_keys=True)
