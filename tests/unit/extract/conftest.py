"""Fixtures of the extraction tests: the spaCy pipeline is loaded once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newswire.extract.extractor import EventExtractor

EXTRACT_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract"


@pytest.fixture(scope="session")
def extractor() -> EventExtractor:
    """The extractor with the packaged model, gazetteer and lexicons (loaded once)."""
    return EventExtractor().open()


@pytest.fixture(scope="session")
def nlp(extractor: EventExtractor) -> Any:
    """The spaCy pipeline with our components."""
    return extractor.nlp


@pytest.fixture
def extract_fixtures() -> Path:
    """Small input files written for these tests."""
    return EXTRACT_FIXTURES
