"""Main text and metadata of an HTML news page (trafilatura, htmldate and our own rules)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html import unescape
from typing import Any

import trafilatura
from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_meta_json,
    extract_title,
    extract_url,
)
from trafilatura.settings import Extractor
from trafilatura.utils import line_processing

from newswire.ingest.normalize.author_search import search_author
from newswire.ingest.normalize.cleaning import clean_main_text
from newswire.ingest.normalize.dates import date_from_url, parse_datetime
from newswire.ingest.normalize.errors import NormalizeError
from schemas.articles import PublishedAtSource, TextMethod

# Meta tags that carry the publication date, most specific first.
_DATE_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
    "article.published",
    "published_time",
)
_AUTHOR_META_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_SHORT_TEXT_CHARS = 1000
_LOST_ARTICLE_RATIO = 0.2
_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
     "opinionnewsarticle", "webpage", "backgroundnewsarticle", "liveblogposting"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class HtmlExtraction:
    """What an HTML page yields before it becomes a ``NormalizedArticle``."""

    title: str | None
    text: str
    authors: tuple[str, ...]
    published_at: datetime | None
    published_at_source: PublishedAtSource
    canonical_link: str | None
    language: str | None
    text_method: TextMethod


def _iter_json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if script.get("type") != "application/ld+json":
            continue
        raw = script.text_content().strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                yield item


def _ld_types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if k}


def _ld_authors(value: Any) -> list[str]:
    names: list[str] = []
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            names.append(entry["name"])
    return names


@dataclass(frozen=True, slots=True)
class _PageMetadata:
    canonical_link: str | None
    ld_date: datetime | None
    ld_headline: str | None
    ld_authors: tuple[str, ...]
    meta_date: datetime | None
    meta_authors: tuple[str, ...]
    html_lang: str | None


def _page_metadata(tree: Any) -> _PageMetadata:
    canonical = None
    # (tree.iter(tag) rather than the equivalent XPath: the same elements in the same order,
    # without compiling and evaluating an expression per page)
    for link in tree.iter("link"):
        if link.get("href") is None:
            continue
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel:
            canonical = link.get("href")
            break
    ld_date: datetime | None = None
    ld_headline: str | None = None
    ld_authors: list[str] = []
    for item in _iter_json_ld(tree):
        if not (_ld_types(item) & _ARTICLE_TYPES):
            continue
        if ld_date is None and isinstance(item.get("datePublished"), str):
            ld_date = parse_datetime(item["datePublished"])
        if ld_headline is None and isinstance(item.get("headline"), str):
            ld_headline = item["headline"].strip() or None
        if not ld_authors and "author" in item:
            ld_authors = _ld_authors(item["author"])
    meta_values: dict[str, str] = {}
    for meta in tree.iter("meta"):
        if meta.get("content") is None:
            continue
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key and key not in meta_values:
            meta_values[key] = meta.get("content") or ""
    meta_date = None
    for key in _DATE_META_KEYS:
        if key in meta_values:
            meta_date = parse_datetime(meta_values[key])
            if meta_date is not None:
                break
    if meta_date is None:
        for node in tree.iter("time"):
            if node.get("datetime") is None or (
                node.get("pubdate") is None and node.get("itemprop") != "datePublished"
            ):
                continue
            meta_date = parse_datetime(node.get("datetime") or "")
            if meta_date is not None:
                break
    meta_authors = [
        meta_values[key] for key in _AUTHOR_META_KEYS if meta_values.get(key, "").strip()
    ]
    meta_authors = [a for a in meta_authors if not a.startswith(("http://", "https://"))]
    lang = tree.get("lang") or None
    return _PageMetadata(
        canonical_link=canonical,
        ld_date=ld_date,
        ld_headline=ld_headline,
        ld_authors=tuple(ld_authors),
        meta_date=meta_date,
        meta_authors=tuple(meta_authors[:1]),
        html_lang=lang,
    )


def split_authors(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Author names, split on ``;`` / `` and ``, de-duplicated, ``By`` prefixes dropped."""
    seen: dict[str, None] = {}
    for value in values:
        for part in re.split(r";|\s+and\s+|\s*&\s*|\|", value):
            name = re.sub(r"^\s*by\s+", "", part.strip(), flags=re.I).strip(" ,")
            if name and len(name) <= 120:
                seen.setdefault(name, None)
    return tuple(seen)


def _comparable(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _drop_leading_title(text: str, titles: tuple[str | None, ...]) -> str:
    """The text without a first line that repeats the headline (kept in ``title`` instead)."""
    first, _, rest = text.partition("\n")
    if not rest.strip():
        return text
    first_key = _comparable(first)
    if first_key and any(title and _comparable(title) == first_key for title in titles):
        return rest.strip()
    return text


# What lxml, trafilatura and htmldate raise on pathological markup; turned into a NormalizeError
# (with the cause chained) so one bad page is reported and the run goes on.
_PARSER_ERRORS = (ValueError, TypeError, AttributeError, LookupError, RecursionError)
_MAX_FIELD_CHARS = 10000


def _trimmed(value: str | None) -> str | None:
    """A metadata field as trafilatura trims it (length cap, entities, spaces, controls)."""
    if not isinstance(value, str):
        return value
    if len(value) > _MAX_FIELD_CHARS:
        value = value[: _MAX_FIELD_CHARS - 1] + "…"
    trimmed: str | None = line_processing(unescape(value))
    return trimmed


class _TrafilaturaMetadata:
    """The title, author and date trafilatura's metadata pass finds, each computed when asked.

    The same steps and order as ``trafilatura.metadata.extract_metadata`` for those three fields
    (meta tags, then JSON-LD, then the page), without its categories, tags, licence and site
    name, which we do not use; the author search (a copy of the tree) and htmldate's date search
    run only when our own JSON-LD and meta tags leave them needed. The tree is only read.
    """

    __slots__ = ("_author", "_author_done", "_meta", "_tree", "_url")

    def __init__(self, tree: Any, url: str | None) -> None:
        self._tree = tree
        self._url = url
        meta = examine_meta(tree)
        if meta.author and " " not in meta.author:
            meta.author = None
        # trafilatura's own JSON-LD reader; a failure leaves the meta tags' values, as in
        # extract_metadata
        with contextlib.suppress(Exception):
            meta = extract_meta_json(tree, meta)
        if not meta.title:
            meta.title = extract_title(tree)
        if not meta.url:
            meta.url = extract_url(tree, url)
        self._meta = meta
        self._author: str | None = None
        self._author_done = False

    @property
    def title(self) -> str | None:
        """The page title trafilatura reports."""
        return _trimmed(self._meta.title)

    @property
    def author(self) -> str | None:
        """The ``;``-separated author names trafilatura reports."""
        if not self._author_done:
            author = self._meta.author or search_author(self._tree)
            self._author, self._author_done = _trimmed(author), True
        return self._author

    @property
    def date(self) -> str | None:
        """The publication date htmldate finds (extensive search, original date)."""
        found = find_date(self._tree, url=self._meta.url, extensive_search=True, original_date=True)
        return _trimmed(found) if isinstance(found, str) else None


@lru_cache(maxsize=2)
def _extraction_options(*, favor_precision: bool) -> Extractor:
    """Trafilatura's extraction options for our calls, built once per process.

    What ``bare_extraction(favor_precision=…, include_comments=False, include_tables=True,
    with_metadata=False)`` would build (reading its configuration file's values) on every call.
    """
    return Extractor(
        output_format="python",
        precision=favor_precision,
        comments=False,
        tables=True,
        with_metadata=False,
    )


def _run_trafilatura(tree: Any, url: str | None, *, favor_precision: bool) -> str:
    """The main text trafilatura finds in a parsed page (the tree is copied, not changed)."""
    options = copy(_extraction_options(favor_precision=favor_precision))
    # The per-page fields, set as Extractor(url=url) sets them.
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    try:
        document = trafilatura.bare_extraction(tree, options=options)
    except _PARSER_ERRORS as exc:
        raise NormalizeError(f"main-text extraction failed: {type(exc).__name__}: {exc}") from exc
    text = getattr(document, "text", None) if document is not None else None
    return text if isinstance(text, str) else ""


def _trafilatura_metadata(tree: Any, url: str | None) -> _TrafilaturaMetadata:
    try:
        return _TrafilaturaMetadata(tree, url)
    except _PARSER_ERRORS as exc:
        raise NormalizeError(f"unreadable page metadata: {type(exc).__name__}: {exc}") from exc


def extract_html(html: str, *, url: str | None = None, min_text_chars: int = 80) -> HtmlExtraction:
    """Extract the main text and metadata of an HTML page.

    trafilatura (precision-oriented, comments excluded) gives the main text, then our own cleaning
    removes boilerplate lines it let through; when that text is too short, a recall-oriented pass
    is tried. Dates come from JSON-LD, then meta tags, then the URL, then htmldate's text search.
    Raises :class:`NormalizeError` when the page has no article text.
    """
    try:
        tree = trafilatura.utils.load_html(html)
    except _PARSER_ERRORS as exc:
        raise NormalizeError(f"not parseable as HTML: {type(exc).__name__}: {exc}") from exc
    if tree is None:
        raise NormalizeError("not parseable as HTML")
    try:
        page = _page_metadata(tree)
    except _PARSER_ERRORS as exc:
        raise NormalizeError(f"unreadable page metadata: {type(exc).__name__}: {exc}") from exc
    text = clean_main_text(_run_trafilatura(tree, url, favor_precision=True))
    method = TextMethod.TRAFILATURA
    if len(text) < max(min_text_chars, _SHORT_TEXT_CHARS):
        # Precision mode sometimes keeps a stray block (a reprint notice) and loses the article:
        # a balanced pass that finds several times more text is then the better guess.
        fallback_text = clean_main_text(_run_trafilatura(tree, url, favor_precision=False))
        if (len(text) < min_text_chars and len(fallback_text) > len(text)) or (
            len(text) < _LOST_ARTICLE_RATIO * len(fallback_text)
        ):
            text, method = fallback_text, TextMethod.TRAFILATURA_FALLBACK
    if len(text) < min_text_chars:
        raise NormalizeError(
            f"no article text found in the HTML page ({len(text)} characters of text, "
            f"minimum {min_text_chars})"
        )
    found = _trafilatura_metadata(tree, url)
    published_at: datetime | None = None
    source = PublishedAtSource.NONE
    if page.ld_date is not None:
        published_at, source = page.ld_date, PublishedAtSource.JSON_LD
    elif page.meta_date is not None:
        published_at, source = page.meta_date, PublishedAtSource.META
    elif (url_date := date_from_url(url)) is not None:
        published_at, source = url_date, PublishedAtSource.URL
    else:
        try:
            text_date = found.date
        except _PARSER_ERRORS as exc:
            raise NormalizeError(f"date search failed: {type(exc).__name__}: {exc}") from exc
        if text_date:
            parsed = parse_datetime(text_date)
            if parsed is not None:
                published_at, source = parsed, PublishedAtSource.TEXT
    trafilatura_title = found.title
    title = page.ld_headline or trafilatura_title
    text = _drop_leading_title(text, (title, trafilatura_title))
    if page.ld_authors:
        author_values = list(page.ld_authors)
    else:
        try:
            trafilatura_author = found.author
        except _PARSER_ERRORS as exc:
            raise NormalizeError(f"author search failed: {type(exc).__name__}: {exc}") from exc
        author_values = [trafilatura_author] if trafilatura_author else list(page.meta_authors)
    authors = split_authors(author_values)
    return HtmlExtraction(
        title=title.strip() if title else None,
        text=text,
        authors=authors,
        published_at=published_at,
        published_at_source=source,
        canonical_link=page.canonical_link,
        language=page.html_lang,
        text_method=method,
    )
