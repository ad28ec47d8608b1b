"""Assembling a ``NormalizedArticle`` from a fetched or dropped document (pure functions)."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from newswire.ingest.normalize.decode import decode_body
from newswire.ingest.normalize.errors import NormalizeError
from newswire.ingest.normalize.fingerprint import (
    content_hash,
    near_duplicate_signature,
    normalize_text,
)
from newswire.ingest.normalize.html import extract_html
from newswire.ingest.normalize.language import detect_language, normalize_language_hint
from newswire.ingest.normalize.plaintext import (
    TextDocument,
    first_sentence,
    parse_news_json,
    parse_plain_text,
)
from newswire.ingest.normalize.urls import UrlError, resolve_canonical
from newswire.ingest.settings import IngestSettings
from schemas.articles import NormalizedArticle, PublishedAtSource, TextMethod
from schemas.base import stable_id
from schemas.documents import DocumentHints, FetchedDocument, SourceKind

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md"})
JSON_SUFFIXES = frozenset({".json"})
NORMALIZABLE_SUFFIXES = HTML_SUFFIXES | TEXT_SUFFIXES | JSON_SUFFIXES
_HTML_SNIFF_RE = re.compile(
    r"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|article|div|p)\b", re.I | re.S
)
_MAX_TITLE_CHARS = 500
_BLOCK_TAG_RE = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6])\b[^>]*>", re.I)
_TAG_RE = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class NormalizeOptions:
    """The knobs of normalization that also shape de-duplication."""

    num_perm: int = 128
    shingle_size: int = 5
    minhash_seed: int = 1
    min_text_chars: int = 80

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> NormalizeOptions:
        """The options an :class:`IngestSettings` asks for."""
        return cls(
            num_perm=settings.num_perm,
            shingle_size=settings.shingle_size,
            minhash_seed=settings.minhash_seed,
            min_text_chars=settings.min_text_chars,
        )


@dataclass(frozen=True, slots=True)
class _Draft:
    title: str | None
    text: str
    text_method: TextMethod
    url: str | None = None
    canonical_link: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    published_at_source: PublishedAtSource = PublishedAtSource.NONE
    language_hint: str | None = None
    tags: tuple[str, ...] = ()


def looks_like_html(text: str) -> bool:
    """Whether a text body is an HTML document (by its first tag)."""
    return bool(_HTML_SNIFF_RE.match(text[:2048]))


def _from_text_document(
    parsed: TextDocument, method: TextMethod, date_source: PublishedAtSource
) -> _Draft:
    return _Draft(
        title=parsed.title,
        text=parsed.text,
        text_method=method,
        url=parsed.url,
        authors=parsed.authors,
        published_at=parsed.published_at,
        published_at_source=date_source if parsed.published_at else PublishedAtSource.NONE,
        language_hint=parsed.language,
        tags=parsed.tags,
    )


def _draft_from_html(text: str, url: str | None, options: NormalizeOptions) -> _Draft:
    page = extract_html(text, url=url, min_text_chars=options.min_text_chars)
    return _Draft(
        title=page.title,
        text=page.text,
        text_method=page.text_method,
        url=url,
        canonical_link=page.canonical_link,
        authors=page.authors,
        published_at=page.published_at,
        published_at_source=page.published_at_source,
        language_hint=page.language,
    )


def _canonical(url: str | None, canonical_link: str | None) -> tuple[str | None, str | None]:
    if not url:
        return None, None
    try:
        return url, resolve_canonical(url, canonical_link)
    except UrlError:
        return url, None


def _assemble(
    draft: _Draft,
    *,
    source_id: str,
    fallback_key: str,
    fetched_at: datetime,
    options: NormalizeOptions,
    hints: DocumentHints | None = None,
    source_path: str | None = None,
) -> NormalizedArticle:
    hints = hints or DocumentHints()
    text = draft.text
    if not text.strip():
        raise NormalizeError("no article text")
    url, canonical_url = _canonical(draft.url, draft.canonical_link)
    article_id = stable_id(canonical_url) if canonical_url else stable_id(source_id, fallback_key)
    title = (hints.title or draft.title or first_sentence(text)).strip()
    title = " ".join(title.split())[:_MAX_TITLE_CHARS]
    if hints.published_at is not None:
        published_at: datetime | None = hints.published_at
        date_source = hints.published_at_source
        if date_source == PublishedAtSource.NONE:
            date_source = PublishedAtSource.FEED
    else:
        published_at, date_source = draft.published_at, draft.published_at_source
    if published_at is None:
        date_source = PublishedAtSource.NONE
    language, confidence = detect_language(text)
    if language is None:
        language = normalize_language_hint(hints.language or draft.language_hint)
    authors = hints.authors or draft.authors
    tags = tuple(dict.fromkeys((*draft.tags, *hints.tags)))
    try:
        return NormalizedArticle(
            id=article_id,
            url=url,
            canonical_url=canonical_url,
            title=title,
            text=text,
            authors=authors,
            published_at=published_at,
            published_at_source=date_source,
            language=language,
            language_confidence=confidence,
            source_id=source_id,
            fetched_at=fetched_at,
            content_hash=content_hash(text),
            near_duplicate_signature=near_duplicate_signature(
                text,
                num_perm=options.num_perm,
                shingle_size=options.shingle_size,
                seed=options.minhash_seed,
            ),
            text_method=draft.text_method,
            tags=tags,
            source_path=source_path,
        )
    except ValidationError as exc:
        raise NormalizeError(f"the article does not fit the contract: {exc}") from exc


def _draft_for_suffix(
    suffix: str, raw_text: str, url: str | None, options: NormalizeOptions
) -> _Draft:
    if suffix in JSON_SUFFIXES:
        return _from_text_document(
            parse_news_json(raw_text), TextMethod.API_FIELD, PublishedAtSource.API
        )
    if suffix in HTML_SUFFIXES or looks_like_html(raw_text):
        return _draft_from_html(raw_text, url, options)
    return _from_text_document(
        parse_plain_text(raw_text), TextMethod.PLAIN_TEXT, PublishedAtSource.FILE
    )


def normalize_file_bytes(
    body: bytes,
    *,
    file_name: str,
    source_id: str,
    fetched_at: datetime,
    options: NormalizeOptions,
    hints: DocumentHints | None = None,
    source_path: str | None = None,
) -> NormalizedArticle:
    """Normalize a dropped file (``.txt``, ``.html``/``.htm``, ``.json``) given its bytes.

    The id comes from the canonical URL when the file names one (JSON ``url``), else from the
    source id and the file name.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix not in NORMALIZABLE_SUFFIXES:
        raise NormalizeError(f"unsupported file type {suffix or '(none)'!r}")
    if not body.strip():
        raise NormalizeError("empty file")
    raw_text = decode_body(body)
    draft = _draft_for_suffix(suffix, raw_text, None, options)
    if draft.text_method == TextMethod.PLAIN_TEXT and len(draft.text) < options.min_text_chars:
        raise NormalizeError(f"text too short ({len(draft.text)} characters)")
    return _assemble(
        draft,
        source_id=source_id,
        fallback_key=file_name,
        fetched_at=fetched_at,
        options=options,
        hints=hints,
        source_path=source_path,
    )


def normalize_path(
    path: Path, *, source_id: str, options: NormalizeOptions, max_bytes: int = 20_000_000
) -> NormalizedArticle:
    """Normalize a local file (offline); ``fetched_at`` is its modification time."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise NormalizeError(f"file too large ({size} bytes, cap {max_bytes})")
        body = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError as exc:
        raise NormalizeError(f"cannot read file: {exc}") from exc
    return normalize_file_bytes(
        body,
        file_name=path.name,
        source_id=source_id,
        fetched_at=modified,
        options=options,
        source_path=str(path),
    )


def normalize_document(
    document: FetchedDocument, body: bytes, options: NormalizeOptions
) -> NormalizedArticle:
    """Normalize a fetched document whose body the caller read from ``document.body_path``.

    HTML bodies go through main-text extraction; a text given by an API or a file (``hints.text``)
    is used as is; when a page yields no text, the feed summary is the last resort.
    """
    hints = document.hints
    url = document.final_url or document.url
    if document.source_kind == SourceKind.FILEDROP and not url:
        file_name = Path(document.body_path).name
        return normalize_file_bytes(
            body,
            file_name=file_name,
            source_id=document.source_id,
            fetched_at=document.fetched_at,
            options=options,
            hints=hints,
        )
    if hints.text and hints.text.strip():
        draft = _Draft(
            title=None, text=normalize_text(hints.text), text_method=TextMethod.API_FIELD, url=url
        )
    else:
        draft = _draft_from_fetched_body(document, body, url, options)
    return _assemble(
        draft,
        source_id=document.source_id,
        fallback_key=document.url or document.body_sha256,
        fetched_at=document.fetched_at,
        options=options,
        hints=hints,
    )


def _draft_from_fetched_body(
    document: FetchedDocument, body: bytes, url: str | None, options: NormalizeOptions
) -> _Draft:
    raw_text = decode_body(body, document.detected_charset or document.declared_charset)
    content_type = (document.content_type or "").lower()
    try:
        if "json" in content_type:
            parsed = parse_news_json(raw_text)
            draft = _from_text_document(parsed, TextMethod.API_FIELD, PublishedAtSource.API)
            return replace(draft, url=url or parsed.url)
        if "html" in content_type or "xml" in content_type or looks_like_html(raw_text):
            return _draft_from_html(raw_text, url, options)
        draft = _from_text_document(
            parse_plain_text(raw_text), TextMethod.PLAIN_TEXT, PublishedAtSource.FILE
        )
        return replace(draft, url=url)
    except NormalizeError:
        summary = document.hints.summary
        summary_text = extract_summary_text(summary) if summary else ""
        if summary_text:
            return _Draft(
                title=None, text=summary_text, text_method=TextMethod.FEED_SUMMARY, url=url
            )
        raise


def extract_summary_text(summary: str) -> str:
    """Plain text of a feed summary, which is often an HTML fragment."""
    without_tags = _BLOCK_TAG_RE.sub("\n", summary)
    without_tags = _TAG_RE.sub("", without_tags)
    return normalize_text(html_lib.unescape(without_tags))
