"""Main text and metadata of an HTML news page (trafilatura, htmldate and our own rules)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import trafilatura

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
    for script in tree.xpath('//script[@type="application/ld+json"]'):
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
    for link in tree.xpath("//link[@href]"):
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
    for meta in tree.xpath("//meta[@content]"):
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
        for node in tree.xpath("//time[@datetime][@pubdate or @itemprop='datePublished']"):
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


def _run_trafilatura(tree: Any, url: str | None, *, favor_precision: bool) -> Any:
    try:
        return trafilatura.bare_extraction(
            tree,
            url=url,
            favor_precision=favor_precision,
            include_comments=False,
            include_tables=True,
            with_metadata=True,
            date_extraction_params={"extensive_search": True, "original_date": True},
        )
    except _PARSER_ERRORS as exc:
        raise NormalizeError(f"main-text extraction failed: {type(exc).__name__}: {exc}") from exc


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
    document = _run_trafilatura(tree, url, favor_precision=True)
    method = TextMethod.TRAFILATURA
    text = clean_main_text(document.text) if document is not None and document.text else ""
    if len(text) < max(min_text_chars, _SHORT_TEXT_CHARS):
        # Precision mode sometimes keeps a stray block (a reprint notice) and loses the article:
        # a balanced pass that finds several times more text is then the better guess.
        fallback = _run_trafilatura(tree, url, favor_precision=False)
        fallback_text = (
            clean_main_text(fallback.text) if fallback is not None and fallback.text else ""
        )
        if (len(text) < min_text_chars and len(fallback_text) > len(text)) or (
            len(text) < _LOST_ARTICLE_RATIO * len(fallback_text)
        ):
            document, text, method = fallback, fallback_text, TextMethod.TRAFILATURA_FALLBACK
    if len(text) < min_text_chars:
        raise NormalizeError(
            f"no article text found in the HTML page ({len(text)} characters of text, "
            f"minimum {min_text_chars})"
        )
    published_at: datetime | None = None
    source = PublishedAtSource.NONE
    if page.ld_date is not None:
        published_at, source = page.ld_date, PublishedAtSource.JSON_LD
    elif page.meta_date is not None:
        published_at, source = page.meta_date, PublishedAtSource.META
    elif (url_date := date_from_url(url)) is not None:
        published_at, source = url_date, PublishedAtSource.URL
    elif document is not None and document.date:
        found = parse_datetime(str(document.date))
        if found is not None:
            published_at, source = found, PublishedAtSource.TEXT
    title = page.ld_headline or (document.title if document is not None else None)
    text = _drop_leading_title(text, (title, document.title if document is not None else None))
    authors = split_authors(
        list(page.ld_authors)
        or ([document.author] if document is not None and document.author else [])
        or list(page.meta_authors)
    )
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
