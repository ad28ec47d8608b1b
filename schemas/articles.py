"""``NormalizedArticle``: the payload of ``news.articles.v1``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Contract

ArticleId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
SourceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]


class PublishedAtSource(StrEnum):
    """Where ``published_at`` was read from."""

    FEED = "feed"
    META = "meta"
    JSON_LD = "json-ld"
    URL = "url"
    TEXT = "text"
    FILE = "file"
    API = "api"
    SITEMAP = "sitemap"
    NONE = "none"


class TextMethod(StrEnum):
    """Which method produced the main text."""

    TRAFILATURA = "trafilatura"
    TRAFILATURA_FALLBACK = "trafilatura-fallback"
    READABILITY = "readability"
    FEED_SUMMARY = "feed-summary"
    PLAIN_TEXT = "plain-text"
    API_FIELD = "api-field"


class NormalizedArticle(Contract):
    """One article after fetching, main-text extraction and normalization.

    ``id`` is derived from the canonical URL (or, for a file without one, from the source and the
    file name), so re-ingesting the same article yields the same id; a changed text raises
    ``version`` instead of creating a new article.
    """

    schema_version: Literal[1] = 1
    id: ArticleId
    version: Annotated[int, Field(ge=1)] = 1
    url: str | None = None
    canonical_url: str | None = None
    title: str
    text: str
    authors: tuple[str, ...] = ()
    published_at: AwareDatetime | None = None
    published_at_source: PublishedAtSource = PublishedAtSource.NONE
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = None
    language_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    source_id: SourceId
    fetched_at: AwareDatetime
    first_seen_at: AwareDatetime | None = Field(
        default=None,
        description="When this article id was first accepted; fixes its monthly index.",
    )
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    near_duplicate_signature: tuple[int, ...] = Field(
        default=(), description="MinHash values over word shingles of the text."
    )
    text_method: TextMethod
    source_count: Annotated[int, Field(ge=1)] = Field(
        default=1, description="How many sources carried this story (this copy included)."
    )
    tags: tuple[str, ...] = ()
    source_path: str | None = Field(
        default=None, description="Input file path, set by `newswire normalize` only."
    )
