"""Finding a Java runtime of a minimum feature version."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newswire.stack.errors import JdkNotFoundError

_RELEASE_VERSION = re.compile(r'^JAVA_VERSION="(?P<version>[^"]+)"', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class JavaHome:
    """A JDK or JRE installation."""

    path: Path
    feature_version: int

    @property
    def java(self) -> Path:
        """The ``java`` launcher."""
        return self.path / "bin" / "java"


def feature_version(release_version: str) -> int:
    """The feature version of a ``JAVA_VERSION`` string: ``1.8.0_392`` -> 8, ``25.0.1`` -> 25."""
    parts = release_version.split(".")
    if parts[0] == "1" and len(parts) > 1:
        return int(parts[1])
    match = re.match(r"\d+", parts[0])
    if match is None:
        raise ValueError(f"not a Java version: {release_version!r}")
    return int(match.group(0))


def inspect_java_home(path: Path) -> JavaHome | None:
    """Describe the Java installation at ``path``, or None if it is not one."""
    release = path / "release"
    if not (path / "bin" / "java").is_file() or not release.is_file():
        return None
    match = _RELEASE_VERSION.search(release.read_text(encoding="utf-8", errors="replace"))
    if match is None:
        return None
    try:
        return JavaHome(path=path.resolve(), feature_version=feature_version(match["version"]))
    except ValueError:
        return None


def find_java_home(
    minimum: int,
    *,
    explicit: Sequence[tuple[str, Path | None]],
    search_dirs: Iterable[Path],
    prefer_lowest: bool = False,
) -> JavaHome:
    """Find a Java home of at least feature version ``minimum``.

    ``explicit`` lists (name, path) candidates such as ``("ES_JAVA_HOME", ...)`` that are tried in
    order before the folders in ``search_dirs`` are scanned. Among scanned installations the
    newest wins, or the oldest suitable one with ``prefer_lowest``. The error names everything
    that was looked at.
    """
    looked: list[str] = []
    for name, path in explicit:
        if path is None:
            looked.append(f"{name} (not set)")
            continue
        home = inspect_java_home(path)
        if home is None:
            looked.append(f"{name}={path} (not a JDK)")
        elif home.feature_version < minimum:
            looked.append(f"{name}={path} (Java {home.feature_version})")
        else:
            return home
    found: list[JavaHome] = []
    for folder in search_dirs:
        if not folder.is_dir():
            looked.append(f"{folder} (missing)")
            continue
        homes = [h for c in sorted(folder.iterdir()) if (h := inspect_java_home(c)) is not None]
        looked.append(
            f"{folder} ({', '.join(f'{h.path.name}: Java {h.feature_version}' for h in homes) or 'no JDK'})"
        )
        found.extend(h for h in homes if h.feature_version >= minimum)
    if not found:
        raise JdkNotFoundError(
            f"no Java {minimum} or newer found; looked at: {'; '.join(looked)}. "
            f"Install a JDK >= {minimum} or point {explicit[0][0] if explicit else 'JAVA_HOME'} at one"
        )
    unique = {h.path: h for h in found}.values()
    return sorted(unique, key=lambda h: h.feature_version, reverse=not prefer_lowest)[0]
