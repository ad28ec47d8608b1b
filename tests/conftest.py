"""Shared fixtures: connections to the real local stack started by ``newswire stack up``.

Integration tests never fake Kafka or Elasticsearch. When the stack is not reachable they fail
with the command that starts it, rather than skipping silently.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from elasticsearch import Elasticsearch

from newswire.settings import ElasticsearchSettings, KafkaSettings
from schemas.base import stable_id
from schemas.events import Event

pytest_plugins = ["newswire_testing.plugin"]

# The shared sample articles sit beside the checkout (../shared/seeds); NEWSWIRE_SEEDS_DIR moves them.
SEEDS_DIR = Path(
    os.environ.get("NEWSWIRE_SEEDS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "seeds"
)
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


def _reachable(host_port: str) -> bool:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def kafka_settings() -> KafkaSettings:
    """Settings of the running local Kafka broker."""
    settings = KafkaSettings()
    first = settings.bootstrap_servers.split(",")[0]
    if not _reachable(first):
        pytest.fail(f"Kafka is not reachable at {first}: run `newswire stack up` first")
    return settings


@pytest.fixture(scope="session")
def es_settings() -> ElasticsearchSettings:
    """Settings of the running local Elasticsearch node."""
    settings = ElasticsearchSettings()
    try:
        httpx.get(
            f"{settings.url}/_cluster/health", timeout=5, **settings.http_options()
        ).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.fail(
            f"Elasticsearch is not reachable at {settings.url} ({exc}): run `newswire stack up`"
        )
    return settings


@pytest.fixture(scope="session")
def es_client(es_settings: ElasticsearchSettings) -> Iterator[Elasticsearch]:
    """A client of the running local Elasticsearch node."""
    client = Elasticsearch(**es_settings.client_options())  # type: ignore[arg-type]
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def unique_suffix() -> str:
    """A short random suffix for topic, group and index names owned by one test."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The shared sample articles (read in place, never copied into the repository)."""
    if not SEEDS_DIR.is_dir():
        pytest.fail(f"seed articles not found at {SEEDS_DIR}: set NEWSWIRE_SEEDS_DIR")
    return SEEDS_DIR


# -- events for the alerter's tests, built from tests/fixtures/alerter/events.yaml --------------
ALERTER_FIXTURES = FIXTURES_DIR / "alerter"


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
    return yaml.safe_load((ALERTER_FIXTURES / "events.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def make_event(event_templates: dict[str, Any]) -> Callable[..., Event]:
    """``make_event("call_held", "lemonde", modality="planned")``."""

    def factory(name: str, source: str = "wire", **overrides: Any) -> Event:
        return build_event(event_templates, name, source, **overrides)

    return factory
