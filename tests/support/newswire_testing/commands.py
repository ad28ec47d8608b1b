"""Running one of newswire's commands the way the real command line registers it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

from schemas.articles import NormalizedArticle


def command_app(name: str, command: Callable[..., Any]) -> typer.Typer:
    """A typer app with ``command`` registered as ``name``, invoked as ``[name, *args]``.

    A second command keeps typer in multi-command mode, as in the real CLI, so ``name`` stays a
    subcommand.
    """
    app = typer.Typer()
    app.command(name)(command)

    @app.command("noop")
    def noop() -> None:
        """Does nothing; only here to keep ``name`` a subcommand."""

    return app


def run_process(
    args: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to its end (at most ``timeout`` seconds), its output captured as text.

    The exit code is the caller's to check (``check=False``).
    """
    return subprocess.run(
        list(args),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_articles(path: Path) -> list[NormalizedArticle]:
    """The articles a command wrote to a JSON-lines file (blank lines skipped)."""
    return [
        NormalizedArticle.model_validate_json(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
