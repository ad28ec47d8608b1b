"""Resolving the stack's artifacts with Maven into a verified per-user cache.

Maven downloads from Maven Central (checking the repository's checksums, ``-C``); we then record
the SHA-256 of every file in a manifest. A later ``stack up`` verifies the cached files against
that manifest and starts without Maven or network. A file that no longer matches is a corrupted
cache entry: it is resolved again, or, offline, reported with what to delete.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from newswire.fsutil import directory_lock
from newswire.stack.errors import ArtifactError, CorruptCacheError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MAVEN_TIMEOUT_S = 900


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ResolvedArtifact:
    """A verified cache entry: a folder of files and whether it was already cached."""

    name: str
    version: str
    folder: Path
    files: tuple[Path, ...]
    from_cache: bool


class ArtifactCache:
    """The per-user cache of Kafka jars and the Elasticsearch zip."""

    def __init__(
        self, cache_dir: Path, pom: Path, *, maven_command: str = "mvn", offline: bool = False
    ) -> None:
        self.cache_dir = cache_dir
        self.pom = pom
        self.maven_command = maven_command
        self.offline = offline

    def kafka(self, version: str) -> ResolvedArtifact:
        """The Kafka broker's runtime classpath (every jar)."""
        return self._resolve(
            f"kafka-{version}",
            version,
            ["-Pkafka", f"-Dkafka.version={version}"],
            expect_suffix=".jar",
        )

    def elasticsearch(self, version: str) -> ResolvedArtifact:
        """The Elasticsearch integ-test-zip distribution."""
        return self._resolve(
            f"elasticsearch-{version}",
            version,
            [
                "-Pelasticsearch",
                "-DincludeTypes=zip",
                f"-Delasticsearch.version={version}",
            ],
            expect_suffix=".zip",
        )

    def _resolve(
        self, name: str, version: str, maven_args: list[str], *, expect_suffix: str
    ) -> ResolvedArtifact:
        # Two stacks may start at once (CI, tests): one resolves, the other waits and verifies.
        try:
            with directory_lock(self.cache_dir):
                return self._resolve_locked(name, version, maven_args, expect_suffix)
        except OSError as exc:
            raise ArtifactError(f"cannot use the artifact cache {self.cache_dir}: {exc}") from exc

    def _resolve_locked(
        self, name: str, version: str, maven_args: list[str], expect_suffix: str
    ) -> ResolvedArtifact:
        folder = self.cache_dir / "artifacts" / name
        manifest = folder / MANIFEST
        if manifest.is_file():
            try:
                files = self._verify(folder, manifest)
                return ResolvedArtifact(name, version, folder, files, from_cache=True)
            except CorruptCacheError:
                if self.offline:
                    raise
                log.warning("cache entry %s is corrupted; resolving it again", folder)
                shutil.rmtree(folder)
        elif folder.exists():
            # A folder without a manifest is an interrupted resolution.
            shutil.rmtree(folder)
        if self.offline:
            raise ArtifactError(
                f"{name} is not in the cache at {folder} and offline mode is on "
                "(unset NEWSWIRE_STACK_OFFLINE to download it)"
            )
        return self._download(name, version, folder, maven_args, expect_suffix)

    def _verify(self, folder: Path, manifest: Path) -> tuple[Path, ...]:
        try:
            recorded: dict[str, str] = json.loads(manifest.read_text())["files"]
        except (OSError, ValueError, KeyError) as exc:
            raise CorruptCacheError(f"cache manifest {manifest} is unreadable: {exc}") from exc
        files: list[Path] = []
        for file_name, expected in sorted(recorded.items()):
            path = folder / file_name
            if not path.is_file():
                raise CorruptCacheError(
                    f"corrupted cache entry: {path} is missing; delete {folder} to resolve it again"
                )
            actual = sha256_of(path)
            if actual != expected:
                raise CorruptCacheError(
                    f"corrupted cache entry: {path} has SHA-256 {actual[:16]}…, "
                    f"expected {expected[:16]}…; delete {folder} to resolve it again"
                )
            files.append(path)
        return tuple(files)

    def _download(
        self, name: str, version: str, folder: Path, maven_args: list[str], expect_suffix: str
    ) -> ResolvedArtifact:
        maven = shutil.which(self.maven_command)
        if maven is None:
            raise ArtifactError(
                f"cannot resolve {name}: Maven ({self.maven_command!r}) is not on PATH; install "
                "Maven 3.8+ or set NEWSWIRE_STACK_MAVEN_COMMAND"
            )
        logs = self.cache_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"maven-{name}-{int(time.time())}.log"
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
        command = [
            maven,
            "-B",
            "-C",
            "-f",
            str(self.pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            *maven_args,
        ]
        log.info("resolving %s with Maven (log: %s)", name, log_path)
        try:
            with log_path.open("w") as out:
                result = subprocess.run(
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=MAVEN_TIMEOUT_S,
                    check=False,
                    env={**os.environ, "MAVEN_OPTS": os.environ.get("MAVEN_OPTS", "-Xmx512m")},
                )
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise ArtifactError(
                f"download of {name} timed out after {MAVEN_TIMEOUT_S}s", log_path=log_path
            ) from exc
        files = sorted(p for p in staging.iterdir() if p.name.endswith(expect_suffix))
        if result.returncode != 0 or not files:
            shutil.rmtree(staging, ignore_errors=True)
            raise ArtifactError(
                f"download of {name} failed (Maven exit {result.returncode})", log_path=log_path
            )
        manifest = {
            "name": name,
            "version": version,
            "resolved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": {p.name: sha256_of(p) for p in files},
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        staging.chmod(0o755)
        staging.rename(folder)
        return ResolvedArtifact(
            name, version, folder, tuple(folder / p.name for p in files), from_cache=False
        )
