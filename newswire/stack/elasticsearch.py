"""The local Elasticsearch node: the integ-test-zip distribution, single node, loopback only.

Elasticsearch refuses to run as root. Started as root, the stack creates a dedicated system user
and runs the node as that user; the run directory must then be reachable by it (the default run
directory for root is under /var/lib for that reason).
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from newswire.fsutil import write_bytes_atomically, write_text_atomically
from newswire.settings import ElasticsearchSettings
from newswire.stack.artifacts import ResolvedArtifact
from newswire.stack.errors import ServerExitedError, StackError, StartupTimeoutError
from newswire.stack.jdk import JavaHome
from newswire.stack.processes import ServerLayout, is_alive, log_tail, spawn_detached

HTTP_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
CLUSTER_NAME = "newswire-local"


@dataclass(frozen=True, slots=True)
class ElasticsearchLayout(ServerLayout):
    """Where the node keeps its files: ``data`` is ``path.data``, ``logs`` is ``path.logs``."""

    @property
    def home(self) -> Path:
        """The unpacked distribution."""
        return self.root / "home"

    @property
    def config(self) -> Path:
        """``ES_PATH_CONF``."""
        return self.root / "config"

    @property
    def tmp(self) -> Path:
        """``ES_TMPDIR``."""
        return self.root / "tmp"

    @property
    def server_log(self) -> Path:
        """The node's own log (Elasticsearch names it after the cluster)."""
        return self.logs / f"{CLUSTER_NAME}.log"


@dataclass(frozen=True, slots=True)
class NodeSecurity:
    """What a secured node needs: PEM files for TLS on HTTP, and the file realm's contents."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    users: str
    users_roles: str
    roles: str


# Under the config folder: the node reads no file outside it.
CERTS_DIR = "certs"


def _security_settings(security: NodeSecurity | None) -> dict[str, str]:
    if security is None:
        # Off only because the node listens on loopback alone; `--secure` and compose turn it on.
        return {"xpack.security.enabled": "false"}
    return {
        "xpack.security.enabled": "true",
        "xpack.security.enrollment.enabled": "false",
        "xpack.security.http.ssl.enabled": "true",
        "xpack.security.http.ssl.key": f"{CERTS_DIR}/{security.server_key.name}",
        "xpack.security.http.ssl.certificate": f"{CERTS_DIR}/{security.server_cert.name}",
        "xpack.security.http.ssl.certificate_authorities": f"{CERTS_DIR}/{security.ca_cert.name}",
        # One node on loopback (single-node discovery): no transport peers to encrypt for.
        "xpack.security.transport.ssl.enabled": "false",
    }


def elasticsearch_yml(
    layout: ElasticsearchLayout,
    *,
    http_port: int,
    transport_port: int,
    security: NodeSecurity | None = None,
) -> str:
    """Node settings: single node, loopback; security off unless ``security`` is given."""
    settings = {
        "cluster.name": CLUSTER_NAME,
        "node.name": f"{CLUSTER_NAME}-1",
        "path.data": str(layout.data),
        "path.logs": str(layout.logs),
        "network.host": "127.0.0.1",
        "http.port": str(http_port),
        "transport.port": str(transport_port),
        "discovery.type": "single-node",
        **_security_settings(security),
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "action.destructive_requires_name": "true",
    }
    return "".join(f"{key}: {value}\n" for key, value in settings.items())


def ensure_service_user(name: str) -> tuple[int, int]:
    """The (uid, gid) of the unprivileged user that runs Elasticsearch, created if missing."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd")
        if useradd is None:
            raise StackError(
                f"Elasticsearch cannot run as root and user {name!r} does not exist; "
                "useradd is not available to create it"
            ) from None
        result = subprocess.run(
            [
                useradd,
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode not in (0, 9):  # 9: created concurrently
            raise StackError(f"cannot create user {name!r}: {result.stderr.strip()}") from None
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _check_reachable(path: Path, uid: int) -> None:
    """Fail early when a folder above ``path`` cannot be entered by ``uid``."""
    for parent in [path, *path.parents]:
        try:
            info = parent.stat()
        except FileNotFoundError:
            continue
        if info.st_uid == uid:
            continue
        if not info.st_mode & stat.S_IXOTH:
            raise StackError(
                f"the Elasticsearch user cannot enter {parent} (mode {stat.filemode(info.st_mode)}); "
                "choose a run directory outside it with NEWSWIRE_STACK_HOME"
            )


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in (*dirnames, *filenames):
            os.chown(Path(dirpath) / name, uid, gid, follow_symlinks=False)


def unpack_distribution(zip_path: Path, home: Path, version: str) -> bool:
    """Unpack the zip into ``home`` (keeping executable bits); False when already there."""
    marker = home / ".newswire-version"
    if marker.is_file() and marker.read_text().strip() == version:
        return False
    if home.exists():
        shutil.rmtree(home)
    staging = home.with_name(home.name + ".unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            for info in archive.infolist():
                # Entries sit under one top folder (elasticsearch-<version>/); drop it.
                parts = Path(info.filename).parts[1:]
                if ".." in parts:
                    raise StackError(f"unsafe path {info.filename!r} in {zip_path}")
                target = staging.joinpath(*parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                mode = (info.external_attr >> 16) & 0o777
                target.chmod(mode or 0o644)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise StackError(f"the Elasticsearch zip {zip_path} is not a valid zip: {exc}") from exc
    (staging / ".newswire-version").write_text(version)
    staging.rename(home)
    return True


class ElasticsearchServer:
    """Configures and starts the node; the manager owns its lifecycle."""

    def __init__(
        self,
        layout: ElasticsearchLayout,
        artifact: ResolvedArtifact,
        java: JavaHome,
        *,
        heap_mb: int,
        service_user: str,
    ) -> None:
        self.layout = layout
        self.artifact = artifact
        self.java = java
        self.heap_mb = heap_mb
        self.service_user = service_user

    def prepare(
        self, *, http_port: int, transport_port: int, security: NodeSecurity | None = None
    ) -> None:
        """Unpack the distribution and write the configuration for these ports.

        With ``security``, the certificates are copied into the config folder and the file
        realm's ``users``, ``users_roles`` and ``roles.yml`` written there.
        """
        layout = self.layout
        for folder in (layout.root, layout.data, layout.logs, layout.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        unpack_distribution(self.artifact.files[0], layout.home, self.artifact.version)
        if not layout.config.exists():
            shutil.copytree(layout.home / "config", layout.config)
        (layout.config / "elasticsearch.yml").write_text(
            elasticsearch_yml(
                layout, http_port=http_port, transport_port=transport_port, security=security
            )
        )
        if security is not None:
            certs = layout.config / CERTS_DIR
            certs.mkdir(exist_ok=True)
            # The key and the file realm are written owner-only from the start, never 0644.
            for source, mode in (
                (security.ca_cert, 0o644),
                (security.server_cert, 0o644),
                (security.server_key, 0o600),
            ):
                write_bytes_atomically(certs / source.name, source.read_bytes(), mode=mode)
            for name, text in (
                ("users", security.users),
                ("users_roles", security.users_roles),
                ("roles.yml", security.roles),
            ):
                write_text_atomically(layout.config / name, text, mode=0o600)
        options = layout.config / "jvm.options.d"
        options.mkdir(exist_ok=True)
        (options / "newswire-heap.options").write_text(
            f"-Xms{self.heap_mb}m\n-Xmx{self.heap_mb}m\n"
        )
        layout.root.chmod(0o755)

    def start(self) -> int:
        """Start the node detached (as the service user when we are root); returns its pid."""
        run_as: tuple[int, int] | None = None
        if os.geteuid() == 0:
            uid, gid = ensure_service_user(self.service_user)
            _check_reachable(self.layout.root, uid)
            _check_reachable(self.java.path, uid)
            for folder in (self.layout.config, self.layout.data, self.layout.logs, self.layout.tmp):
                _chown_tree(folder, uid, gid)
            os.chown(self.layout.root, uid, gid)
            run_as = (uid, gid)
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "ES_JAVA_HOME": str(self.java.path),
            "ES_PATH_CONF": str(self.layout.config),
            "ES_TMPDIR": str(self.layout.tmp),
        }
        return spawn_detached(
            [str(self.layout.home / "bin" / "elasticsearch")],
            log_path=self.layout.console_log,
            env=env,
            cwd=self.layout.root,
            run_as=run_as,
        )


def _get(url: str, path: str, access: ElasticsearchSettings | None) -> httpx.Response:
    options = access.http_options() if access is not None else {}
    return httpx.get(f"{url}{path}", timeout=HTTP_TIMEOUT, **options)


def cluster_health(url: str, *, access: ElasticsearchSettings | None = None) -> str | None:
    """The cluster status (green/yellow/red), or None when the node does not answer.

    ``access`` carries the credentials and CA of a secured node; a node that refuses them
    (401/403) counts as not answering.
    """
    try:
        response = _get(url, "/_cluster/health", access)
        response.raise_for_status()
        status = response.json().get("status")
    except (httpx.HTTPError, ValueError):
        return None
    return status if isinstance(status, str) else None


def node_version(url: str, *, access: ElasticsearchSettings | None = None) -> str | None:
    """The version the running node reports (``GET /`` is absent on this distribution)."""
    try:
        response = _get(url, "/_nodes/_local", access)
        response.raise_for_status()
        nodes: dict[str, Any] = response.json()["nodes"]
    except (httpx.HTTPError, ValueError, KeyError):
        return None
    for node in nodes.values():
        version = node.get("version")
        if isinstance(version, str):
            return version
    return None


def wait_for_node(
    url: str,
    pid: int,
    *,
    timeout_s: float,
    log_path: Path,
    console_log: Path,
    access: ElasticsearchSettings | None = None,
) -> float:
    """Block until the cluster is green or yellow; returns the seconds waited."""
    start = time.monotonic()
    while True:
        if not is_alive(pid):
            # Launcher and JVM failures (permissions, bad settings) only reach the console log.
            raise ServerExitedError(
                f"Elasticsearch exited while starting: {log_tail(console_log, 8)} "
                f"{log_tail(log_path, 8)} (console: {console_log})",
                log_path=log_path,
            )
        if cluster_health(url, access=access) in {"green", "yellow"}:
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            raise StartupTimeoutError(
                f"Elasticsearch at {url} was not up within {timeout_s:.0f}s", log_path=log_path
            )
        time.sleep(0.5)
