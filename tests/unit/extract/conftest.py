"""Fixtures of the extraction tests: the spaCy pipeline is loaded once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newswire.extract.extractor import EventExtractor
from newswire.extract.settings import ExtractSettings

EXTRACT_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract"


@pytest.fixture(scope="session")
def extractor() -> EventExtractor:
    """The rule stage alone (the candidate generator), with the packaged gazetteer and lexicons.

    The tests written against it specify what the trigger rules read; the trained decision stage
    on top of them is specified by its own tests and measured by ``newswire eval``.
    """
    return EventExtractor(ExtractSettings(decide=False)).open()


@pytest.fixture(scope="session")
def decided_extractor() -> EventExtractor:
    """The extractor as shipped: rules, then the trained decision stage."""
    return EventExtractor(ExtractSettings()).open()


@pytest.fixture(scope="session")
def nlp(extractor: EventExtractor) -> Any:
    """The spaCy pipeline with our components."""
    return extractor.nlp


@pytest.fixture
def extract_fixtures() -> Path:
    """Small input files written for these tests."""
    return EXTRACT_FIXTURES
