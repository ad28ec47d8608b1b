"""Elasticsearch adapters: the development store and the delivery outbox.

Both are indices of ours, created at startup with an explicit strict mapping, holding documents
with deterministic ids. Developments are read with realtime ``mget`` (no refresh wait) and
written with optimistic concurrency (``if_seq_no``/``if_primary_term``, or ``op_type=create``
for a new one), so two alerter processes can never both found or bump the same development.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from elastic_transport import TransportError
from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError

from consumers.alerter.developments import Development
from consumers.alerter.errors import StoreConflictError, StoreError
from schemas.base import Contract, stable_id
from schemas.notifications import DeliveryRecord, DeliveryStatus, Notification

_KEYWORD: dict[str, Any] = {"type": "keyword"}
_UNINDEXED_KEYWORD: dict[str, Any] = {"type": "keyword", "index": False, "doc_values": False}

DEVELOPMENT_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "schema_version": {"type": "integer"},
        "development_id": _KEYWORD,
        "type": _KEYWORD,
        "actor_key": _KEYWORD,
        "actors": {"type": "object", "enabled": False},
        "anchor_date": {"type": "date", "format": "strict_date"},
        "slot": {"type": "integer"},
        "version": {"type": "integer"},
        "modality": _KEYWORD,
        "event_ids": _KEYWORD,
        "source_keys": _KEYWORD,
        "source_urls": _UNINDEXED_KEYWORD,
        "evidence": {"type": "text"},
        "evidence_tokens": _UNINDEXED_KEYWORD,
        "locations": _KEYWORD,
        "max_confidence": {"type": "float"},
        "first_event_id": _KEYWORD,
        "last_event_id": _KEYWORD,
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "alerts": {
            "properties": {
                "subscription_id": _KEYWORD,
                "version": {"type": "integer"},
                "modality": _KEYWORD,
            }
        },
    },
}

OUTBOX_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        # The DeliveryRecord contract ...
        "schema_version": {"type": "integer"},
        "idempotency_key": _KEYWORD,
        "subscription_id": _KEYWORD,
        "channel": _KEYWORD,
        "development_id": _KEYWORD,
        "development_version": {"type": "integer"},
        "status": _KEYWORD,
        "attempts": {"type": "integer"},
        "last_error": {"type": "text"},
        "first_attempt_at": {"type": "date"},
        "last_attempt_at": {"type": "date"},
        "sent_at": {"type": "date"},
        # ... and what a restarted alerter needs to send it again.
        "entry_id": _KEYWORD,
        "mode": _KEYWORD,
        "due_at": {"type": "date"},
        "created_at": {"type": "date"},
        "notification": {"type": "object", "enabled": False},
    },
}


# What the alerter reads of a bulk response: every item's outcome (creates: created or there
# already), or only the failures (writes whose successes need no answer; the failed items alone
# come back, each error naming its document).
_BULK_ITEMS = (
    "errors,items.*._id,items.*.status,items.*.error,items.*._seq_no,items.*._primary_term"
)
_BULK_ERRORS = "errors,items.*.error"
# The failures with their document ids (every item then comes back, its id alone on success).
_BULK_ERRORS_AND_IDS = "errors,items.*._id,items.*.error"


def _lines(operations: list[dict[str, Any] | bytes]) -> Sequence[Mapping[str, Any]]:
    """Bulk lines, documents already serialized to JSON bytes among them.

    The client sends bytes lines as they are (its own bulk helpers rely on it), although its
    signature names mappings only.
    """
    return cast(Sequence[Mapping[str, Any]], operations)


def _index_settings() -> dict[str, Any]:
    return {"number_of_shards": 1, "number_of_replicas": 0}


def ensure_index(client: Elasticsearch, name: str, mappings: dict[str, Any]) -> bool:
    """Create ``name`` with ``mappings`` unless it exists; True when created now."""
    try:
        if client.indices.exists(index=name):
            return False
        client.indices.create(index=name, mappings=mappings, settings=_index_settings())
    except ApiError as exc:
        if exc.error == "resource_already_exists_exception":
            return False
        raise StoreError(f"cannot create index {name}: {exc}") from exc
    except TransportError as exc:
        raise StoreError(f"cannot reach Elasticsearch to create {name}: {exc}") from exc
    return True


def _from_source(model: type[Contract], source: dict[str, Any]) -> Any:
    # Strict models accept dates and tuples only from JSON.
    return model.model_validate_json(json.dumps(source))


@dataclass(frozen=True, slots=True)
class StoredDevelopment:
    """A development as read, with what optimistic concurrency needs to write it back."""

    development: Development
    seq_no: int
    primary_term: int


class DevelopmentStore:
    """The developments index (``newswire-developments`` by default)."""

    def __init__(self, client: Elasticsearch, index: str, *, timeout_s: float = 10.0) -> None:
        self._client = client.options(request_timeout=timeout_s)
        self.index = index

    def setup(self) -> None:
        """Create the index with its strict mapping if missing."""
        ensure_index(self._client, self.index, DEVELOPMENT_MAPPING)

    def get_many(self, ids: Iterable[str]) -> dict[str, StoredDevelopment]:
        """The stored developments among ``ids`` (realtime reads)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        try:
            response = self._client.mget(index=self.index, ids=wanted, realtime=True)
        except (ApiError, TransportError) as exc:
            raise StoreError(f"{self.index}: mget failed: {exc}") from exc
        found: dict[str, StoredDevelopment] = {}
        for doc in response["docs"]:
            if doc.get("found"):
                found[doc["_id"]] = StoredDevelopment(
                    _from_source(Development, doc["_source"]), doc["_seq_no"], doc["_primary_term"]
                )
        return found

    def get(self, development_id: str) -> Development | None:
        """One development, or None."""
        stored = self.get_many([development_id]).get(development_id)
        return stored.development if stored is not None else None

    def put(self, development: Development, previous: StoredDevelopment | None) -> None:
        """Write a development; it must not have changed since ``previous`` was read."""
        body = development.model_dump(mode="json")
        try:
            if previous is None:
                self._client.index(
                    index=self.index, id=development.development_id, document=body, op_type="create"
                )
            else:
                self._client.index(
                    index=self.index,
                    id=development.development_id,
                    document=body,
                    if_seq_no=previous.seq_no,
                    if_primary_term=previous.primary_term,
                )
        except ConflictError as exc:
            raise StoreConflictError(
                f"{self.index}: development {development.development_id} changed concurrently"
            ) from exc
        except (ApiError, TransportError) as exc:
            raise StoreError(
                f"{self.index}: cannot write development {development.development_id}: {exc}"
            ) from exc

    def put_many(
        self, developments: Sequence[tuple[Development, StoredDevelopment | None]]
    ) -> None:
        """Write developments in one bulk request, each guarded like :meth:`put`.

        Every write that can succeed does; if any development changed concurrently,
        :class:`StoreConflictError` names them afterwards (retrying the events is safe).
        """
        if not developments:
            return
        operations: list[dict[str, Any] | bytes] = []
        for development, previous in developments:
            if previous is None:
                action: dict[str, Any] = {
                    "create": {"_index": self.index, "_id": development.development_id}
                }
            else:
                action = {
                    "index": {
                        "_index": self.index,
                        "_id": development.development_id,
                        "if_seq_no": previous.seq_no,
                        "if_primary_term": previous.primary_term,
                    }
                }
            operations.append(action)
            operations.append(development.model_dump_json().encode())
        try:
            response = self._client.bulk(
                operations=_lines(operations), filter_path=_BULK_ERRORS_AND_IDS
            )
        except (ApiError, TransportError) as exc:
            raise StoreError(f"{self.index}: cannot write developments: {exc}") from exc
        if not response.get("errors"):
            return
        conflicts: list[str] = []
        failures: list[str] = []
        for item in response.get("items", ()):
            result = next(iter(item.values()))
            error = result.get("error")
            if error is None:
                continue
            if error.get("type") == "version_conflict_engine_exception":
                conflicts.append(str(result.get("_id")))
            else:
                failures.append(f"{result.get('_id')}: {error.get('reason', error)}")
        if failures or not conflicts:
            raise StoreError(f"{self.index}: cannot write developments: {failures[:3]}")
        raise StoreConflictError(f"{self.index}: changed concurrently: {', '.join(conflicts)}")


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox document: a delivery record and the notification it delivers."""

    entry_id: str
    record: DeliveryRecord
    notification: Notification
    mode: str
    created_at: datetime
    due_at: datetime | None = None

    def _extra_fields(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "mode": self.mode,
            "created_at": self.created_at.isoformat(),
            "due_at": self.due_at.isoformat() if self.due_at is not None else None,
        }

    def document(self) -> dict[str, Any]:
        """The Elasticsearch document."""
        return {
            **self.record.model_dump(mode="json"),
            **self._extra_fields(),
            "notification": self.notification.model_dump(mode="json"),
        }

    def document_json(self, changes: Mapping[str, Any] | None = None) -> bytes:
        """:meth:`document` serialized, the models by pydantic's own (compiled) serializer.

        ``changes`` replaces delivery-record fields (status, attempts, timestamps as JSON).
        """
        if changes:
            unknown = set(changes) - set(DeliveryRecord.model_fields)
            if unknown:
                raise ValueError(f"not delivery-record fields: {sorted(unknown)}")
            record = json.dumps({**self.record.model_dump(mode="json"), **changes}).encode()
        else:
            record = self.record.model_dump_json().encode()
        extra = json.dumps(self._extra_fields()).encode()
        notification = self.notification.model_dump_json().encode()
        # Two JSON objects merged: the record's fields, ours, then the notification.
        return b"".join((record[:-1], b",", extra[1:-1], b',"notification":', notification, b"}"))

    @classmethod
    def from_document(cls, source: dict[str, Any]) -> OutboxEntry:
        """Parse an Elasticsearch document."""
        record_fields = set(DeliveryRecord.model_fields)
        record = _from_source(
            DeliveryRecord, {k: v for k, v in source.items() if k in record_fields}
        )
        notification = _from_source(Notification, source["notification"])
        due = source.get("due_at")
        return cls(
            entry_id=source["entry_id"],
            record=record,
            notification=notification,
            mode=source["mode"],
            created_at=datetime.fromisoformat(source["created_at"]),
            due_at=datetime.fromisoformat(due) if due else None,
        )


def outbox_entry_id(idempotency_key: str, channel: str) -> str:
    """The document id of the outbox entry of a notification on a channel."""
    return stable_id("outbox", idempotency_key, channel)


class Outbox:
    """The outbox index (``newswire-outbox`` by default): one entry per delivery.

    It remembers the version (``_seq_no``, ``_primary_term``) of each entry it created and has
    not changed since, so that :meth:`settle_many` can rewrite such an entry whole, guarded by
    that version, instead of a partial update (which Elasticsearch runs as a read, a merge and
    a rewrite of the stored document).
    """

    # Versions remembered at most (the oldest are forgotten first; those entries are then
    # settled by a partial update).
    MAX_KNOWN_VERSIONS = 100_000

    def __init__(self, client: Elasticsearch, index: str, *, timeout_s: float = 10.0) -> None:
        self._client = client.options(request_timeout=timeout_s)
        self.index = index
        self._versions: dict[str, tuple[int, int]] = {}
        self._versions_lock = threading.Lock()

    def _remember(self, versions: Mapping[str, tuple[int, int]]) -> None:
        with self._versions_lock:
            self._versions.update(versions)
            excess = len(self._versions) - self.MAX_KNOWN_VERSIONS
            for entry_id in list(itertools.islice(self._versions, max(0, excess))):
                del self._versions[entry_id]

    def _forget(self, entry_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        with self._versions_lock:
            return {
                entry_id: version
                for entry_id in entry_ids
                if (version := self._versions.pop(entry_id, None)) is not None
            }

    def setup(self) -> None:
        """Create the index with its strict mapping if missing."""
        ensure_index(self._client, self.index, OUTBOX_MAPPING)

    def create_pending(self, entries: Sequence[OutboxEntry]) -> list[bool]:
        """Record new entries as pending; for each, whether it was created now (False: existed)."""
        if not entries:
            return []
        operations: list[dict[str, Any] | bytes] = []
        for entry in entries:
            operations.append({"create": {"_index": self.index, "_id": entry.entry_id}})
            operations.append(entry.document_json())
        try:
            response = self._client.bulk(operations=_lines(operations), filter_path=_BULK_ITEMS)
        except (ApiError, TransportError) as exc:
            raise StoreError(f"{self.index}: cannot record pending deliveries: {exc}") from exc
        if len(response.get("items", ())) != len(entries):
            raise StoreError(f"{self.index}: the bulk response does not list every entry")
        created: list[bool] = []
        versions: dict[str, tuple[int, int]] = {}
        for entry, item in zip(entries, response["items"], strict=True):
            result = item["create"]
            status = result.get("status", 500)
            if status in (200, 201):
                created.append(True)
                if "_seq_no" in result and "_primary_term" in result:
                    versions[entry.entry_id] = (result["_seq_no"], result["_primary_term"])
            elif status == 409:
                created.append(False)
            else:
                raise StoreError(f"{self.index}: cannot record {result.get('_id')}: {result}")
        self._remember(versions)
        return created

    def update(self, entry_ids: Sequence[str], fields: dict[str, Any]) -> None:
        """Set ``fields`` on entries (status, attempts, errors, timestamps)."""
        self.update_many([(entry_ids, fields)])

    def settle_many(
        self,
        changes: Sequence[tuple[Sequence[str], dict[str, Any]]],
        known: Mapping[str, OutboxEntry],
    ) -> None:
        """Apply ``(entry ids, delivery-record fields)`` changes, as :meth:`update_many` does.

        An entry in ``known`` (as it was created) whose version this outbox remembers is
        rewritten whole with the changes, only if still at that version; the others, and any
        rewrite refused because the entry changed meanwhile, get a partial update.
        """
        whole: list[dict[str, Any] | bytes] = []
        partial: list[tuple[Sequence[str], dict[str, Any]]] = []
        rewritten: list[tuple[Sequence[str], dict[str, Any]]] = []
        for entry_ids, fields in changes:
            versions = self._forget(i for i in entry_ids if i in known)
            rest = [i for i in entry_ids if i not in versions]
            if rest:
                partial.append((rest, fields))
            for entry_id, (seq_no, primary_term) in versions.items():
                whole.append(
                    {
                        "index": {
                            "_index": self.index,
                            "_id": entry_id,
                            "if_seq_no": seq_no,
                            "if_primary_term": primary_term,
                        }
                    }
                )
                whole.append(known[entry_id].document_json(fields))
                rewritten.append(([entry_id], fields))
        if whole:
            try:
                response = self._client.bulk(operations=_lines(whole), filter_path=_BULK_ERRORS)
            except (ApiError, TransportError) as exc:
                raise StoreError(f"{self.index}: cannot update deliveries: {exc}") from exc
            if response.get("errors"):
                # Changed meanwhile (or refused): the same change as a partial update is
                # harmless for the entries already rewritten.
                partial.extend(rewritten)
        self.update_many(partial)

    def update_many(self, changes: Sequence[tuple[Sequence[str], dict[str, Any]]]) -> None:
        """Apply several ``(entry ids, fields)`` changes in one bulk request."""
        operations: list[dict[str, Any]] = []
        for entry_ids, fields in changes:
            self._forget(entry_ids)
            for entry_id in entry_ids:
                operations.append({"update": {"_index": self.index, "_id": entry_id}})
                operations.append({"doc": fields})
        if not operations:
            return
        try:
            # Only the failures come back: no per-item acknowledgement to build and parse.
            response = self._client.bulk(operations=operations, filter_path=_BULK_ERRORS)
        except (ApiError, TransportError) as exc:
            raise StoreError(f"{self.index}: cannot update deliveries: {exc}") from exc
        if response.get("errors"):
            failed = [next(iter(item.values())) for item in response.get("items", ())]
            raise StoreError(f"{self.index}: cannot update deliveries: {failed[:3]}")

    def get(self, entry_id: str) -> OutboxEntry | None:
        """One entry (realtime), or None."""
        try:
            response = self._client.get(index=self.index, id=entry_id)
        except NotFoundError:
            return None
        except (ApiError, TransportError) as exc:
            raise StoreError(f"{self.index}: cannot read {entry_id}: {exc}") from exc
        return OutboxEntry.from_document(response["_source"])

    def get_many(self, entry_ids: Sequence[str]) -> dict[str, OutboxEntry]:
        """Entries by id (realtime)."""
        if not entry_ids:
            return {}
        try:
            response = self._client.mget(index=self.index, ids=list(entry_ids), realtime=True)
        except (ApiError, TransportError) as exc:
            raise StoreError(f"{self.index}: mget failed: {exc}") from exc
        return {
            doc["_id"]: OutboxEntry.from_document(doc["_source"])
            for doc in response["docs"]
            if doc.get("found")
        }

    def search(self, *, status: DeliveryStatus | None = None, **terms: str) -> list[OutboxEntry]:
        """Entries with a status and exact field values (after a refresh; oldest first)."""
        filters: list[dict[str, Any]] = [{"term": {k: v}} for k, v in terms.items()]
        if status is not None:
            filters.append({"term": {"status": status.value}})
        try:
            self._client.indices.refresh(index=self.index)
            entries: list[OutboxEntry] = []
            search_after: list[Any] | None = None
            while True:
                extra: dict[str, Any] = {"search_after": search_after} if search_after else {}
                response = self._client.search(
                    index=self.index,
                    query={"bool": {"filter": filters}},
                    sort=[{"created_at": "asc"}, {"entry_id": "asc"}],
                    size=1000,
                    **extra,
                )
                hits = response["hits"]["hits"]
                entries.extend(OutboxEntry.from_document(hit["_source"]) for hit in hits)
                if len(hits) < 1000:
                    return entries
                search_after = hits[-1]["sort"]
        except (ApiError, TransportError) as exc:
            raise StoreError(f"{self.index}: search failed: {exc}") from exc
