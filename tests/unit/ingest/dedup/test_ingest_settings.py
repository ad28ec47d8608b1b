from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from newswire.ingest.normalize import NormalizeOptions
from newswire.ingest.pipeline import open_seen_index, seen_index_path
from newswire.ingest.settings import IngestSettings, default_state_dir


def test_settings_come_from_newswire_ingest_environment_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWSWIRE_INGEST_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NEWSWIRE_INGEST_NEAR_DUPLICATE_THRESHOLD", "0.8")
    monkeypatch.setenv("NEWSWIRE_INGEST_NUM_PERM", "64")
    monkeypatch.setenv("NEWSWIRE_INGEST_SHINGLE_SIZE", "3")
    settings = IngestSettings()
    assert settings.state_dir == tmp_path / "state"
    assert NormalizeOptions.from_settings(settings) == NormalizeOptions(
        num_perm=64, shingle_size=3, minhash_seed=1, min_text_chars=80
    )
    assert seen_index_path(settings) == tmp_path / "state" / "seen-articles.sqlite3"
    with open_seen_index(settings) as index:
        assert index.path.is_file()


def test_out_of_range_threshold_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_INGEST_NEAR_DUPLICATE_THRESHOLD", "1.5")
    with pytest.raises(ValidationError, match="near_duplicate_threshold"):
        IngestSettings()


def test_default_state_dir_is_under_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / "newswire" / "ingest"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_state_dir() == Path.home() / ".local" / "share" / "newswire" / "ingest"
