"""Errors of the local stack; each says what failed and where to look."""

from __future__ import annotations

from pathlib import Path

from newswire.errors import NewswireError


class StackError(NewswireError):
    """The local stack could not be started, stopped or inspected."""

    def __init__(self, message: str, *, log_path: Path | None = None) -> None:
        self.log_path = log_path
        if log_path is not None:
            message = f"{message} (log: {log_path})"
        super().__init__(message)


class PortInUseError(StackError):
    """A port the stack needs is taken by another process."""


class JdkNotFoundError(StackError):
    """No suitable Java runtime was found."""


class ArtifactError(StackError):
    """An artifact could not be downloaded or resolved."""


class CorruptCacheError(ArtifactError):
    """A cached artifact does not match its recorded checksum."""


class StartupTimeoutError(StackError):
    """A server did not become ready in time."""


class ServerExitedError(StackError):
    """A server process exited while starting."""
