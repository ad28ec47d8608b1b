"""Fixtures of the alerter's unit tests: events built from tests/fixtures/alerter/events.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.base import stable_id
from schemas.events import Event

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "alerter"

EventFactory = Callable[..., Event]


def build_event(templates: dict[str, Any], name: str, source: str, **overrides: Any) -> Event:
    template = dict(templates["events"][name])
    template["actors"] = [templates["actors"][actor] for actor in template["actors"]]
    url = f"https://www.{source}.example/news/{name}"
    article_id = stable_id(url)
    evidence = overrides.pop("evidence", template.pop("evidence"))
    data = {
        "event_id": stable_id(article_id, name),
        "article_id": article_id,
        "evidence": evidence,
        "evidence_start": 0,
        "evidence_end": len(evidence),
        "source_id": source,
        "article_url": url,
        **template,
        **overrides,
    }
    return Event.model_validate_json(json.dumps(data))


@pytest.fixture(scope="session")
def event_templates() -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / "events.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def make_event(event_templates: dict[str, Any]) -> EventFactory:
    """``make_event("call_held", "lemonde", modality="planned")``."""

    def factory(name: str, source: str = "wire", **overrides: Any) -> Event:
        return build_event(event_templates, name, source, **overrides)

    return factory


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
