"""The local Kafka broker: KRaft combined mode (broker + controller), one node, loopback only."""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from newswire.fsutil import write_text_atomically
from newswire.settings import KafkaSettings
from newswire.stack.artifacts import ResolvedArtifact
from newswire.stack.errors import ServerExitedError, StackError, StartupTimeoutError
from newswire.stack.jdk import JavaHome
from newswire.stack.processes import ServerLayout, is_alive, log_tail, spawn_detached

MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


def new_cluster_id() -> str:
    """A random KRaft cluster id (a Kafka ``Uuid``: 16 bytes, URL-safe base64, unpadded)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class KafkaLayout(ServerLayout):
    """Where the broker keeps its files: ``data`` is its log directory, log4j2 writes in ``logs``."""

    @property
    def config(self) -> Path:
        """``server.properties``."""
        return self.root / "server.properties"

    @property
    def formatted(self) -> bool:
        """Whether the storage was formatted (its cluster metadata, SCRAM users included, exist)."""
        return (self.data / "meta.properties").is_file()


@dataclass(frozen=True, slots=True)
class BrokerSecurity:
    """SASL_SSL with SCRAM on the client listener: the broker's PEM files and its own login.

    ``keystore`` holds the server's private key (PKCS#8, unencrypted) followed by its
    certificate; ``truststore`` the CA (the broker connects to itself as inter-broker client).
    ``scram_arguments`` create the SCRAM users at format time; ``passwords`` lists every
    password they and the broker's login hold (kept out of error messages).
    """

    keystore: Path
    truststore: Path
    mechanism: str
    admin_username: str
    admin_password: str
    scram_arguments: tuple[str, ...]
    passwords: tuple[str, ...] = ()


def _listener_settings(
    *, broker_port: int, controller_port: int, security: BrokerSecurity | None
) -> dict[str, str]:
    protocol = "PLAINTEXT" if security is None else "SASL_SSL"
    settings = {
        "listeners": f"{protocol}://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"{protocol}://127.0.0.1:{broker_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": protocol,
        # The controller listener stays plaintext: only this process talks to it, on loopback.
        "listener.security.protocol.map": f"{protocol}:{protocol},CONTROLLER:PLAINTEXT",
    }
    if security is None:
        return settings
    mechanism = security.mechanism
    module = "org.apache.kafka.common.security.scram.ScramLoginModule"
    settings.update(
        {
            "sasl.enabled.mechanisms": mechanism,
            "sasl.mechanism.inter.broker.protocol": mechanism,
            f"listener.name.sasl_ssl.{mechanism.lower()}.sasl.jaas.config": (
                f'{module} required username="{security.admin_username}" '
                f'password="{security.admin_password}";'
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(security.keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(security.truststore),
            "ssl.client.auth": "none",
        }
    )
    return settings


def server_properties(
    layout: KafkaLayout,
    *,
    broker_port: int,
    controller_port: int,
    security: BrokerSecurity | None = None,
) -> str:
    """The broker configuration for a single combined-mode node on 127.0.0.1."""
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        **_listener_settings(
            broker_port=broker_port, controller_port=controller_port, security=security
        ),
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "log.dirs": str(layout.data),
        "num.partitions": "3",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Topics come from the catalogue in schemas/, never from a typo in a producer.
        "auto.create.topics.enable": "false",
        "log.retention.hours": "168",
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
    return "".join(f"{key}={value}\n" for key, value in lines.items())


_PASSWORD_IN_TEXT = re.compile(r"(password=)[^,\]\s\"']+", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` without the given secrets, nor any ``password=VALUE`` (a tool may echo one)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return _PASSWORD_IN_TEXT.sub(r"\1***", text)


class KafkaServer:
    """Configures, formats and starts the broker; the manager owns its lifecycle."""

    def __init__(
        self,
        layout: KafkaLayout,
        artifact: ResolvedArtifact,
        java: JavaHome,
        log4j_config: Path,
        *,
        heap_mb: int,
        security: BrokerSecurity | None = None,
    ) -> None:
        self.layout = layout
        self.artifact = artifact
        self.java = java
        self.log4j_config = log4j_config
        self.heap_mb = heap_mb
        self.security = security

    def _jvm_args(self) -> list[str]:
        return [
            str(self.java.java),
            f"-Xms{min(256, self.heap_mb)}m",
            f"-Xmx{self.heap_mb}m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.layout.logs}",
            f"-Dlog4j2.configurationFile={self.log4j_config}",
            "-cp",
            str(self.artifact.folder / "*"),
        ]

    def configure(self, *, broker_port: int, controller_port: int) -> None:
        """Write ``server.properties`` for these ports."""
        self.layout.root.mkdir(parents=True, exist_ok=True)
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        # It holds the broker's own SASL password when secured.
        write_text_atomically(
            self.layout.config,
            server_properties(
                self.layout,
                broker_port=broker_port,
                controller_port=controller_port,
                security=self.security,
            ),
            mode=0o600,
        )

    def format_storage(self, cluster_id: str) -> bool:
        """Format the data directory on first start; returns False when it already was."""
        if self.layout.formatted:
            return False
        log_path = self.layout.logs / "format.log"
        command = [
            *self._jvm_args(),
            STORAGE_TOOL,
            "format",
            "--standalone",
            # One argument: an id may start with "-", which a separate value would read as an option.
            f"--cluster-id={cluster_id}",
            "--config",
            str(self.layout.config),
        ]
        # SCRAM users live in the cluster metadata: created with it, before the first start.
        # Their passwords go in an argument file (the tool reads `@FILE`, one argument a line),
        # not on the command line that every local user can read in /proc.
        arguments = self.layout.root / "format.args"
        if self.security is not None:
            write_text_atomically(
                arguments, "".join(f"{arg}\n" for arg in self.security.scram_arguments), mode=0o600
            )
            command.append(f"@{arguments}")
        try:
            with log_path.open("w") as out:
                try:
                    result = subprocess.run(
                        command, stdout=out, stderr=subprocess.STDOUT, timeout=120, check=False
                    )
                except subprocess.TimeoutExpired as exc:
                    raise StackError(
                        "formatting Kafka storage timed out", log_path=log_path
                    ) from exc
        finally:
            arguments.unlink(missing_ok=True)
        if result.returncode != 0:
            tail = redact(log_tail(log_path, 5), self._secrets())
            raise StackError(
                f"formatting Kafka storage failed (exit {result.returncode}): {tail}",
                log_path=log_path,
            )
        return True

    def _secrets(self) -> tuple[str, ...]:
        if self.security is None:
            return ()
        return (self.security.admin_password, *self.security.passwords)

    def start(self) -> int:
        """Start the broker detached; returns its pid."""
        return spawn_detached(
            [*self._jvm_args(), MAIN_CLASS, str(self.layout.config)],
            log_path=self.layout.console_log,
            env={"PATH": "/usr/bin:/bin", "JAVA_HOME": str(self.java.path), "LANG": "C.UTF-8"},
            cwd=self.layout.root,
        )


@contextlib.contextmanager
def _quiet_kafka_client() -> Iterator[None]:
    # A probe of a broker that is still starting fails by design; kafka-python logs each
    # refused connection at ERROR, which would bury the real messages.
    logger = logging.getLogger("kafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def broker_ready(settings: KafkaSettings, *, timeout_ms: int = 3000) -> bool:
    """Whether the broker answers metadata requests with these client settings."""
    with _quiet_kafka_client():
        return _broker_answers(settings, timeout_ms)


def _broker_answers(settings: KafkaSettings, timeout_ms: int) -> bool:
    first = settings.bootstrap_servers.split(",")[0]
    host, _, port = first.rpartition(":")
    try:
        # A refused TCP connection answers at once; the client would retry until its timeout.
        socket.create_connection((host, int(port)), timeout=timeout_ms / 1000).close()
    except OSError:
        return False
    options = {
        **settings.client_options(),
        "request_timeout_ms": timeout_ms,
        "client_id": "newswire-stack-probe",
    }
    try:
        admin = KafkaAdminClient(**options, bootstrap_timeout_ms=timeout_ms)
    except (KafkaError, OSError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def wait_for_broker(
    settings: KafkaSettings,
    pid: int,
    *,
    timeout_s: float,
    log_path: Path,
    console_log: Path,
) -> float:
    """Block until the broker answers; returns the seconds waited."""
    start = time.monotonic()
    while True:
        if not is_alive(pid):
            # JVM-level failures (bad options, wrong Java) only reach the console log.
            raise ServerExitedError(
                f"Kafka exited while starting: {log_tail(console_log, 8)} {log_tail(log_path, 8)}"
                f" (console: {console_log})",
                log_path=log_path,
            )
        if broker_ready(settings):
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            raise StartupTimeoutError(
                f"Kafka at {settings.bootstrap_servers} was not up within {timeout_s:.0f}s",
                log_path=log_path,
            )
        time.sleep(0.5)
