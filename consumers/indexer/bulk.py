"""Bulk actions and the classification of bulk item results (pure functions)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from schemas.base import Contract
from schemas.indices import IndexSpec

# Error types that say "not now" rather than "never", whatever their HTTP status.
_RETRYABLE_TYPES = frozenset(
    {
        "es_rejected_execution_exception",
        "circuit_breaking_exception",
        "cluster_block_exception",
        "unavailable_shards_exception",
        "node_not_connected_exception",
        "node_closed_exception",
        "no_shard_available_action_exception",
        "process_cluster_event_timeout_exception",
        "timeout_exception",
    }
)
_RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class ItemVerdict(StrEnum):
    """What to do about one bulk item."""

    DONE = "done"
    RETRY = "retry"
    REJECT = "reject"


def fully_explicit(record: Contract) -> bool:
    """Whether every field of ``record`` (and of the contracts it holds) was given explicitly.

    Only then is the record's wire JSON the same document as its full dump: a field left to
    its default would otherwise be missing from the index (and from searches on its value).
    """
    if record.model_fields_set != type(record).model_fields.keys():
        return False
    for name in type(record).model_fields:
        value = getattr(record, name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, Contract) and not fully_explicit(item):
                return False
    return True


def bulk_action(spec: IndexSpec, record: Contract, raw: bytes | None = None) -> dict[str, Any]:
    """The ``streaming_bulk`` action that indexes ``record`` under its id and external version.

    ``external_gte`` lets a replay of the same version overwrite (idempotent) while an older
    version is refused with a 409 instead of overwriting a newer document. ``raw``, the JSON
    the record was validated from, is sent as is when it is one line and names every field
    (what our producers write), which saves dumping and re-encoding the record.
    """
    source: bytes | dict[str, Any]
    if raw is not None and b"\n" not in raw and b"\r" not in raw and fully_explicit(record):
        source = raw
    else:
        source = record.model_dump(mode="json")
    return {
        "_op_type": "index",
        "_index": spec.index_for(record),
        "_id": spec.doc_id(record),
        "version": spec.version_of(record),
        "version_type": "external_gte",
        "_source": source,
    }


def error_type(error: object) -> str | None:
    """The Elasticsearch error type of a bulk item error (``mapper_parsing_exception``...)."""
    if isinstance(error, dict):
        value = error.get("type")
        return value if isinstance(value, str) else None
    return None


def describe_error(error: object) -> str:
    """A one-line text of a bulk item error, with its cause."""
    if isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
        cause = error.get("caused_by")
        if isinstance(cause, dict):
            text += f" (caused by {describe_error(cause)})"
        return text
    return str(error)


def classify_item(ok: bool, status: object, error: object = None) -> ItemVerdict:
    """Classify one bulk item result by whether it succeeded, its HTTP status and its error.

    Succeeded: done. 409 (a version conflict: the index already holds this or a newer
    version): done. 429/503/5xx/408, "not now" error types, transport failures (no numeric
    status) and failures with a 2xx status (a response the client refused, e.g. from a proxy
    that is not Elasticsearch): retry. Any other 4xx (mapping or validation errors): reject,
    the record goes to the dead letters.
    """
    if ok:
        return ItemVerdict.DONE
    if not isinstance(status, int) or isinstance(status, bool):
        return ItemVerdict.RETRY
    if status == 409:
        return ItemVerdict.DONE
    if status < 400 or status in _RETRYABLE_STATUSES or status >= 500:
        return ItemVerdict.RETRY
    if error_type(error) in _RETRYABLE_TYPES:
        return ItemVerdict.RETRY
    return ItemVerdict.REJECT
