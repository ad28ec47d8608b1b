"""Bootstrapping a Kafka + Elasticsearch (+ Kibana) deployment from the catalogues in ``schemas/``.

The local stack calls the same steps from ``stack up``; docker-compose runs ``newswire bootstrap``
as a one-shot service. Every step is idempotent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from elasticsearch import ApiError, Elasticsearch
from elasticsearch import TransportError as EsTransportError
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswire.errors import NewswireError
from newswire.resources import resource_path
from newswire.search.templates import put_index_template
from newswire.settings import ElasticsearchSettings, KafkaSettings
from newswire.transport.kafka import ensure_topics
from schemas.indices import INDICES

log = logging.getLogger(__name__)

# Found from the top package: importing newswire.stack here would import this module again.
KIBANA_DIR = resource_path("newswire", "stack", "resources", "kibana")


class BootstrapError(NewswireError):
    """A bootstrap step failed."""


class KibanaSettings(BaseSettings):
    """How to reach Kibana (env prefix ``NEWSWIRE_KIBANA_``)."""

    # Errors never quote the values given (the password).
    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_KIBANA_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    url: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = Field(default=60.0, gt=0)


@dataclass
class BootstrapReport:
    """What a bootstrap run created or updated."""

    topics_created: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    kibana_objects: int = 0


def _put_templates(es: Elasticsearch, *, timeout_s: float) -> list[str]:
    """Create or update every index template of the catalogue; a failure is a BootstrapError."""
    names: list[str] = []
    for spec in INDICES.values():
        try:
            names.append(put_index_template(es, spec, timeout_s=timeout_s))
        except (ApiError, EsTransportError) as exc:
            raise BootstrapError(f"index template {spec.template_name} failed: {exc}") from exc
    return names


def saved_object_files(folder: Path = KIBANA_DIR) -> list[Path]:
    """The Kibana saved-object exports to import, in a stable order."""
    return sorted(folder.glob("*.ndjson"))


def import_kibana_objects(settings: KibanaSettings, files: list[Path]) -> int:
    """Import saved objects through Kibana's API (overwriting); returns how many were imported."""
    if settings.url is None:
        raise BootstrapError("no Kibana URL: set NEWSWIRE_KIBANA_URL or pass --kibana-url")
    if not files:
        raise BootstrapError(f"no Kibana saved objects (*.ndjson) found in {KIBANA_DIR}")
    auth: tuple[str, str] | None = None
    if settings.username and settings.password is not None:
        auth = (settings.username, settings.password.get_secret_value())
    total = 0
    with httpx.Client(timeout=settings.timeout_seconds, auth=auth) as client:
        for path in files:
            try:
                response = client.post(
                    f"{settings.url.rstrip('/')}/api/saved_objects/_import",
                    params={"overwrite": "true"},
                    headers={"kbn-xsrf": "newswire-bootstrap"},
                    files={"file": (path.name, path.read_bytes(), "application/ndjson")},
                )
            except httpx.HTTPError as exc:
                raise BootstrapError(f"cannot reach Kibana at {settings.url}: {exc}") from exc
            if response.status_code >= 300:
                raise BootstrapError(
                    f"Kibana refused {path.name}: {response.status_code} {response.text[:300]}"
                )
            try:
                body = response.json()
            except ValueError as exc:
                raise BootstrapError(f"Kibana answered {path.name} with non-JSON: {exc}") from exc
            if not body.get("success", False):
                raise BootstrapError(
                    f"Kibana import of {path.name} had errors: {body.get('errors')}"
                )
            total += int(body.get("successCount", 0))
    return total


def bootstrap(
    kafka: KafkaSettings,
    elasticsearch: ElasticsearchSettings,
    kibana: KibanaSettings | None = None,
) -> BootstrapReport:
    """Create topics and index templates, and import Kibana objects when Kibana is configured."""
    report = BootstrapReport()
    report.topics_created = ensure_topics(kafka)
    es = Elasticsearch(**elasticsearch.client_options())  # type: ignore[arg-type]
    try:
        report.templates = _put_templates(es, timeout_s=elasticsearch.request_timeout_seconds)
    finally:
        es.close()
    if kibana is not None and kibana.url is not None:
        report.kibana_objects = import_kibana_objects(kibana, saved_object_files())
    return report
