"""``FetchedDocument``: what the fetch step hands to the normalize step.

The raw body stays on disk (``body_path``, inside the ingest state directory); the record is the
reference that Airflow tasks pass through XCom, never the body itself.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.articles import PublishedAtSource, SourceId
from schemas.base import Contract


class SourceKind(StrEnum):
    """The kinds of source a catalogue can declare."""

    RSS = "rss"
    ATOM = "atom"
    SITEMAP = "sitemap"
    HTML = "html"
    JSON = "json"
    FILEDROP = "filedrop"


class DocumentHints(Contract):
    """Metadata a source gave about a document before its body was parsed.

    Feeds, sitemaps and APIs often know the title, date or authors better than the page does.
    """

    title: str | None = None
    published_at: AwareDatetime | None = None
    published_at_source: PublishedAtSource = PublishedAtSource.NONE
    authors: tuple[str, ...] = ()
    summary: str | None = None
    text: str | None = Field(default=None, description="Full text given by an API or a file.")
    language: str | None = None
    tags: tuple[str, ...] = ()


class FetchedDocument(Contract):
    """One fetched (or dropped) document, its body stored at ``body_path``."""

    schema_version: Literal[1] = 1
    source_id: SourceId
    source_kind: SourceKind
    url: str | None = None
    final_url: str | None = Field(default=None, description="The URL after redirects.")
    body_path: str
    body_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    content_type: str | None = None
    declared_charset: str | None = Field(
        default=None, description="The charset the server declared (Content-Type), if any."
    )
    detected_charset: str | None = Field(
        default=None,
        description="The charset the fetcher determined (BOM, meta tag, header, detection).",
    )
    http_status: int | None = None
    fetched_at: AwareDatetime
    hints: DocumentHints = DocumentHints()
