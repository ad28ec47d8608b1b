"""The Elasticsearch side of ``newswire search``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError
from pydantic import ValidationError

from newswire.errors import NewswireError
from schemas.events import Event


class SearchError(NewswireError):
    """The search could not be run."""


@dataclass(frozen=True, slots=True)
class EventHit:
    """One matching event, its score and its highlighted evidence (markers from the query)."""

    event: Event
    score: float | None
    highlighted_evidence: str | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The hits and how many events matched in all."""

    total: int
    hits: list[EventHit]


def open_client(options: dict[str, Any]) -> Elasticsearch:
    """A client with the given ``ElasticsearchSettings.client_options()``."""
    return Elasticsearch(**options)


def search_events(
    es: Elasticsearch, alias: str, body: dict[str, Any], *, timeout_s: float
) -> SearchResult:
    """Run ``body`` against ``alias`` and validate every hit as an :class:`Event`."""
    try:
        response = es.options(request_timeout=timeout_s).search(index=alias, **body)
    except NotFoundError as exc:
        raise SearchError(f"no events indexed yet: {alias!r} does not exist") from exc
    except (ApiError, TransportError) as exc:
        raise SearchError(f"search on {alias!r} failed: {exc}") from exc
    hits: list[EventHit] = []
    for hit in response["hits"]["hits"]:
        try:
            event = Event.model_validate_json(json.dumps(hit["_source"]))
        except ValidationError as exc:
            raise SearchError(f"document {hit['_id']} in {alias!r} is not an Event: {exc}") from exc
        fragments = hit.get("highlight", {}).get("evidence")
        hits.append(EventHit(event, hit.get("_score"), fragments[0] if fragments else None))
    total = response["hits"]["total"]
    return SearchResult(int(total["value"] if isinstance(total, dict) else total), hits)
