"""What every reader shares: the per-item outcome, body storage and turning a fetch into a document."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from newswire.fsutil import write_bytes_atomically
from newswire.ingest.fetch.charset import header_charset, media_type
from newswire.ingest.fetch.errors import DeferredError, FetchError, SourceReadError
from newswire.ingest.fetch.fetcher import PAGE_ACCEPT, Fetcher, FetchResult
from newswire.ingest.sources import Source
from schemas.documents import DocumentHints, FetchedDocument

BODIES_DIR_NAME = "bodies"
_SUFFIX_BY_TYPE = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/json": ".json",
    "text/plain": ".txt",
    "application/xml": ".xml",
    "text/xml": ".xml",
}
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    """One item of a source: a document, an unchanged resource (304 / file already seen), or an error.

    ``target`` is the URL or file the outcome is about. The caller logs errors and goes on.
    """

    source_id: str
    target: str
    document: FetchedDocument | None = None
    error: FetchError | None = None
    unchanged: bool = False
    deferred: bool = False  # not fetched this pass (budget, host breaker); ``error`` says why

    @property
    def ok(self) -> bool:
        """Whether this outcome carries a document."""
        return self.document is not None


@dataclass(frozen=True, slots=True)
class PendingFetch:
    """An article page a reader found and :func:`~newswire.ingest.readers.read_source` fetches.

    Readers yield these instead of fetching, so the pass can fetch them in its pool, host by
    host, while outcomes keep the reader's order.
    """

    source: Source
    url: str
    hints: DocumentHints

    def run(self, fetcher: Fetcher, state_dir: Path) -> ReadOutcome:
        """Fetch the page now."""
        return fetch_article(self.source, fetcher, self.url, self.hints, state_dir)


ReaderItem = ReadOutcome | PendingFetch
"""What a reader yields: a finished outcome, or a page still to fetch."""


def deferred_outcome(source: Source, target: str, reason: str) -> ReadOutcome:
    """An outcome for an item left for the next pass (nothing about it is marked seen)."""
    return ReadOutcome(
        source_id=source.id,
        target=target,
        error=DeferredError(target, f"deferred to the next pass: {reason}"),
        deferred=True,
    )


def document_outcome(source: Source, target: str, document: FetchedDocument) -> ReadOutcome:
    """An outcome carrying a document."""
    return ReadOutcome(source_id=source.id, target=target, document=document)


def error_outcome(source: Source, error: FetchError) -> ReadOutcome:
    """An outcome carrying an error about ``error.url``."""
    return ReadOutcome(source_id=source.id, target=error.url, error=error)


def unchanged_outcome(source: Source, target: str) -> ReadOutcome:
    """An outcome saying ``target`` did not change since the last pass (nothing downloaded)."""
    return ReadOutcome(source_id=source.id, target=target, unchanged=True)


def bodies_dir(state_dir: Path, source_id: str) -> Path:
    """Where bodies of one source are stored."""
    return state_dir / BODIES_DIR_NAME / source_id


def _write_atomically(path: Path, body: bytes) -> None:
    if path.exists():
        return  # content-addressed: the same name always holds the same bytes
    write_bytes_atomically(path, body)


def store_body(
    state_dir: Path, source_id: str, body: bytes, *, suffix: str = "", name: str | None = None
) -> tuple[Path, str]:
    """Write ``body`` under the state dir, content-addressed; return ``(path, sha256)``.

    With ``name`` (a dropped file's name) the file keeps that name inside a folder named by the
    hash, so the normalize step still sees the original name and suffix.
    """
    sha = hashlib.sha256(body).hexdigest()
    base = bodies_dir(state_dir, source_id) / sha[:2]
    if name is not None:
        safe = _SAFE_NAME_RE.sub("_", name).strip("._") or "document"
        path = base / sha / safe
    else:
        path = base / f"{sha}{suffix}"
    try:
        _write_atomically(path, body)
    except OSError as exc:
        raise SourceReadError(str(path), f"cannot store the body: {exc}") from exc
    return path, sha


def suffix_for(content_type: str | None) -> str:
    """A file suffix for a media type (``.bin`` when unknown)."""
    kind = media_type(content_type)
    if kind in _SUFFIX_BY_TYPE:
        return _SUFFIX_BY_TYPE[kind]
    if kind.endswith("+xml"):
        return ".xml"
    return ".bin"


def merge_hints(source: Source, hints: DocumentHints) -> DocumentHints:
    """Hints completed with the source's language and tags."""
    tags = tuple(dict.fromkeys((*hints.tags, *source.tags)))
    return hints.model_copy(update={"language": hints.language or source.language, "tags": tags})


def document_from_result(
    source: Source, result: FetchResult, hints: DocumentHints, state_dir: Path
) -> FetchedDocument:
    """Store a fetched body and describe it as a :class:`FetchedDocument`."""
    path, sha = store_body(
        state_dir, source.id, result.body, suffix=suffix_for(result.content_type)
    )
    return FetchedDocument(
        source_id=source.id,
        source_kind=source.kind,
        url=result.url,
        final_url=result.final_url,
        body_path=str(path),
        body_sha256=sha,
        content_type=result.content_type,
        declared_charset=header_charset(result.content_type),
        detected_charset=result.charset,
        http_status=result.status,
        fetched_at=result.fetched_at,
        hints=merge_hints(source, hints),
    )


def document_from_bytes(
    source: Source,
    body: bytes,
    *,
    url: str | None,
    content_type: str,
    hints: DocumentHints,
    state_dir: Path,
    fetched_at: datetime | None = None,
    name: str | None = None,
    charset: str | None = "utf-8",
) -> FetchedDocument:
    """Store a body we built ourselves (feed content, API item, dropped file) as a document."""
    path, sha = store_body(state_dir, source.id, body, suffix=suffix_for(content_type), name=name)
    return FetchedDocument(
        source_id=source.id,
        source_kind=source.kind,
        url=url,
        final_url=url,
        body_path=str(path),
        body_sha256=sha,
        content_type=content_type,
        declared_charset=charset,
        detected_charset=charset,
        http_status=None,
        fetched_at=fetched_at or datetime.now(UTC),
        hints=merge_hints(source, hints),
    )


def fetch_parsed(
    source: Source, fetcher: Fetcher, url: str, accept: str, parse: Callable[[FetchResult], T]
) -> T | ReadOutcome:
    """Fetch ``url`` (conditionally) and ``parse`` the result, or the outcome that ends there.

    That outcome is "unchanged" when the server answered 304, or the fetch or parse error.
    """
    try:
        result = fetcher.fetch_for(source, url, accept=accept)
        if result.not_modified:
            return unchanged_outcome(source, result.url)
        return parse(result)
    except FetchError as exc:
        return error_outcome(source, exc)


def fetch_article(
    source: Source, fetcher: Fetcher, url: str, hints: DocumentHints, state_dir: Path
) -> ReadOutcome:
    """Fetch one article page (conditionally) and wrap the result as an outcome."""

    def outcome(result: FetchResult) -> ReadOutcome:
        return document_outcome(source, url, document_from_result(source, result, hints, state_dir))

    return fetch_parsed(source, fetcher, url, PAGE_ACCEPT, outcome)


def parse_datetime(value: object) -> datetime | None:
    """An aware datetime from an ISO 8601 string, a date, or epoch seconds; None if unparsable.

    Naive values are taken as UTC.
    """
    parsed: datetime | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            parsed = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
