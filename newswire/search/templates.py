"""The one place that writes Elasticsearch index templates (and, through them, the aliases).

The bodies come from the index catalogue (:mod:`schemas.indices`); ``newswire bootstrap``,
``stack up`` and the indexer at startup all put them through :func:`put_index_templates`.
Errors are the client's own (``ApiError``, ``TransportError``) so each caller decides whether
to retry or to report.
"""

from __future__ import annotations

from collections.abc import Iterable

from elasticsearch import Elasticsearch

from schemas.indices import INDICES, IndexSpec


def put_index_template(es: Elasticsearch, spec: IndexSpec, *, timeout_s: float) -> str:
    """Create or update one index template (idempotent); returns its name."""
    es.options(request_timeout=timeout_s).indices.put_index_template(
        name=spec.template_name, **spec.template_body()
    )
    return spec.template_name


def put_index_templates(
    es: Elasticsearch, specs: Iterable[IndexSpec] | None = None, *, timeout_s: float
) -> list[str]:
    """Create or update the templates of ``specs`` (default: the whole catalogue)."""
    chosen = list(specs) if specs is not None else list(INDICES.values())
    return [put_index_template(es, spec, timeout_s=timeout_s) for spec in chosen]
