"""Fixtures of the alerter's unit tests: events built from tests/fixtures/alerter/events.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "alerter"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
