"""Finding a JDK: explicit homes first, then the standard folders, with an error that says where."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.stack.errors import JdkNotFoundError
from newswire.stack.jdk import feature_version, find_java_home


def fake_jdk(root: Path, name: str, version: str) -> Path:
    home = root / name
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    (home / "release").write_text(f'IMPLEMENTOR="test"\nJAVA_VERSION="{version}"\n')
    return home


@pytest.mark.parametrize(
    ("text", "expected"), [("1.8.0_392", 8), ("17.0.15", 17), ("21", 21), ("25.0.1", 25)]
)
def test_feature_version_parses_old_and_new_schemes(text: str, expected: int) -> None:
    assert feature_version(text) == expected


def test_explicit_home_wins_when_new_enough(tmp_path: Path) -> None:
    explicit = fake_jdk(tmp_path / "x", "custom", "21.0.2")
    fake_jdk(tmp_path / "jvm", "temurin-25", "25.0.1")
    home = find_java_home(21, explicit=[("ES_JAVA_HOME", explicit)], search_dirs=[tmp_path / "jvm"])
    assert home.path == explicit.resolve()
    assert home.feature_version == 21


def test_too_old_explicit_home_falls_back_to_the_newest_scanned(tmp_path: Path) -> None:
    old = fake_jdk(tmp_path / "x", "jdk17", "17.0.15")
    fake_jdk(tmp_path / "jvm", "jdk21", "21.0.1")
    newest = fake_jdk(tmp_path / "jvm", "jdk25", "25.0.1")
    home = find_java_home(21, explicit=[("JAVA_HOME", old)], search_dirs=[tmp_path / "jvm"])
    assert home.path == newest.resolve()


def test_prefer_lowest_picks_the_oldest_suitable(tmp_path: Path) -> None:
    fake_jdk(tmp_path / "jvm", "jdk11", "11.0.2")
    jdk17 = fake_jdk(tmp_path / "jvm", "jdk17", "17.0.15")
    fake_jdk(tmp_path / "jvm", "jdk25", "25.0.1")
    home = find_java_home(17, explicit=[], search_dirs=[tmp_path / "jvm"], prefer_lowest=True)
    assert home.path == jdk17.resolve()


def test_missing_jdk_error_names_everything_looked_at(tmp_path: Path) -> None:
    fake_jdk(tmp_path / "jvm", "jdk17", "17.0.15")
    with pytest.raises(JdkNotFoundError) as caught:
        find_java_home(
            21,
            explicit=[("ES_JAVA_HOME", tmp_path / "nowhere"), ("JAVA_HOME", None)],
            search_dirs=[tmp_path / "jvm", tmp_path / "missing"],
        )
    message = str(caught.value)
    assert "no Java 21 or newer" in message
    assert f"ES_JAVA_HOME={tmp_path / 'nowhere'} (not a JDK)" in message
    assert "JAVA_HOME (not set)" in message
    assert "jdk17: Java 17" in message
    assert f"{tmp_path / 'missing'} (missing)" in message
