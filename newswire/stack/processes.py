"""Starting, finding and stopping the stack's server processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from newswire.stack.errors import StackError

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class ServerLayout:
    """Where a server of the stack keeps its files inside its folder of the run directory."""

    root: Path

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.root / "data"

    @property
    def logs(self) -> Path:
        """The server's own logs."""
        return self.root / "logs"

    @property
    def console_log(self) -> Path:
        """The process's stdout/stderr."""
        return self.logs / "console.log"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` (as the JVM servers would, reusing TIME_WAIT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def spawn_detached(
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str],
    cwd: Path,
    run_as: tuple[int, int] | None = None,
) -> int:
    """Start a server in a session of its own, output appended to ``log_path``; return its pid.

    The pid is also the process group id, so :func:`stop_group` reaches the server's children.
    ``run_as`` is a (uid, gid) to drop to before exec (Elasticsearch refuses to run as root).
    """
    command = ["/usr/bin/env", "-C", str(cwd), *argv]
    if run_as is not None:
        uid, gid = run_as
        command = [
            "/usr/bin/setpriv",
            f"--reuid={uid}",
            f"--regid={gid}",
            "--clear-groups",
            "--",
            *command,
        ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        return os.posix_spawn(command[0], command, dict(env), file_actions=actions, setsid=True)
    except OSError as exc:
        raise StackError(f"cannot start {argv[0]}: {exc}", log_path=log_path) from exc


def is_alive(pid: int | None) -> bool:
    """Whether ``pid`` runs (a zombie child of ours is reaped and counts as dead)."""
    if not pid:
        return False
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in {"Z", "X"}


def group_members(pgid: int) -> list[int]:
    """Live pids whose process group is ``pgid`` (a server and the children it started)."""
    members: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, ...
        if fields[0] not in {"Z", "X"} and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def command_line(pid: int) -> list[str]:
    """The argv of a live process (empty when it is gone)."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def runs_from(pid: int | None, marker: str) -> bool:
    """Whether ``pid`` is alive and is a server of ours: a JVM whose arguments name ``marker``.

    A pid recorded in a state file may have been reused by an unrelated process after a reboot;
    such a process is neither trusted as our server nor signalled.
    """
    if not is_alive(pid):
        return False
    assert pid is not None
    argv = command_line(pid)
    launcher = Path(argv[0]).name if argv else ""
    return launcher in {"java", "setpriv", "env"} and any(marker in arg for arg in argv)


def servers_of(marker: str) -> list[int]:
    """Pids of live JVMs (other than ours) whose arguments name ``marker`` (a run directory)."""
    me = os.getpid()
    return sorted(
        int(entry.name)
        for entry in _PROC.iterdir()
        if entry.name.isdigit() and int(entry.name) != me and runs_from(int(entry.name), marker)
    )


def stop_group(pid: int, *, timeout_s: float = 30.0) -> bool:
    """SIGTERM the process group of ``pid``, then SIGKILL it after ``timeout_s``.

    Waits until no process of the group is left (Elasticsearch's launcher exits before the
    server JVM it started). Returns True when it had to kill.
    """

    def gone() -> bool:
        is_alive(pid)  # reaps our own child if it exited
        return not group_members(pid)

    if gone():
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gone():
            return False
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


def kill_all(pids: Sequence[int], *, timeout_s: float = 10.0) -> None:
    """Terminate stray processes, forcefully if they do not go."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while any(is_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if is_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def log_tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log, for error messages."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
