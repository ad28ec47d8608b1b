"""Plain-text and news-API JSON documents: title, date and body without any HTML."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from newswire.ingest.normalize.dates import parse_datetime
from newswire.ingest.normalize.errors import NormalizeError
from newswire.ingest.normalize.fingerprint import normalize_text

# ` date 2024-03-20 Amidst escalating ...`: the date and the first sentence share the line.
_DATE_LINE_RE = re.compile(
    r"^\s*(?:date|dated|published)\s*:?\s*(\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]+)?)\s*(.*)$",
    re.I | re.S,
)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")
_MAX_TITLE_WORDS = 30
_MAX_LABEL_WORDS = 2
_MAX_TITLE_CHARS = 300


@dataclass(frozen=True, slots=True)
class TextDocument:
    """A title, a body and what else the document said about itself."""

    title: str
    text: str
    published_at: datetime | None = None
    url: str | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    tags: tuple[str, ...] = ()


def first_sentence(text: str) -> str:
    """The first sentence of a text (capped in length, cut at a word boundary)."""
    paragraph = text.strip().split("\n", 1)[0].strip()
    sentence = _SENTENCE_END_RE.split(paragraph, maxsplit=1)[0].strip()
    if len(sentence) > _MAX_TITLE_CHARS:
        sentence = sentence[:_MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= _MAX_TITLE_WORDS and not line.endswith((".", ",", ";", ":"))


def parse_plain_text(raw: str) -> TextDocument:
    """Read a plain-text article.

    Two layouts are understood: a first line ``date YYYY-MM-DD`` followed (on the same line) by
    the first sentence, whose first sentence then serves as the title; or a title line (a
    one- or two-word section label such as ``News`` before it is skipped). A file whose first
    line is prose gets its first sentence as title. Raises :class:`NormalizeError` when empty.
    """
    text = normalize_text(raw)
    if not text:
        raise NormalizeError("empty text file")
    match = _DATE_LINE_RE.match(text)
    if match:
        published_at = parse_datetime(match.group(1))
        if published_at is None:
            raise NormalizeError(f"unreadable date on the date line: {match.group(1)!r}")
        body = normalize_text(match.group(2))
        if not body:
            raise NormalizeError("text file has a date line but no text")
        return TextDocument(title=first_sentence(body), text=body, published_at=published_at)
    lines = [line.strip() for line in text.split("\n")]
    non_empty = [(index, line) for index, line in enumerate(lines) if line]
    title_index, title = non_empty[0]
    if (
        len(non_empty) > 2
        and len(title.split()) <= _MAX_LABEL_WORDS
        and _looks_like_title(non_empty[1][1])
        and not _looks_like_title(non_empty[2][1])
    ):
        title_index, title = non_empty[1]
    if _looks_like_title(title):
        body = normalize_text("\n".join(lines[title_index + 1 :]))
        if body:
            return TextDocument(title=title, text=body)
    return TextDocument(title=first_sentence(text), text=text)


_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "articleBody", "article_body", "full_text"),
    "summary": ("description", "summary", "abstract", "excerpt"),
    "url": ("url", "link", "canonical_url", "webUrl", "web_url"),
    "published": (
        "published",
        "published_at",
        "publishedAt",
        "datePublished",
        "date",
        "pubDate",
        "webPublicationDate",
        "created_at",
    ),
    "authors": ("authors", "author", "byline", "creator"),
    "language": ("language", "lang"),
    "tags": ("tags", "keywords", "categories"),
}


def _field(data: dict[str, Any], name: str) -> Any:
    for key in _FIELD_ALIASES[name]:
        value = data.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            names.append(item.strip())
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"].strip())
    return tuple(names)


def parse_news_json(raw: str) -> TextDocument:
    """Read a news-API-like JSON object (``title``, ``text``, ``url``, ``published``, ...).

    Common alternative field names (``headline``, ``body``, ``content``, ``publishedAt``,
    ``link``...) are accepted. Raises :class:`NormalizeError` naming the missing field.
    """
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise NormalizeError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise NormalizeError(f"expected a JSON object, got {type(data).__name__}")
    body = _field(data, "text") or _field(data, "summary")
    if not isinstance(body, str) or not normalize_text(body):
        raise NormalizeError("JSON object has no text field (text, body, content, articleBody)")
    text = normalize_text(body)
    title_value = _field(data, "title")
    title = title_value.strip() if isinstance(title_value, str) and title_value.strip() else None
    published_raw = _field(data, "published")
    published_at: datetime | None = None
    if isinstance(published_raw, str):
        published_at = parse_datetime(published_raw)
    elif isinstance(published_raw, int | float) and not isinstance(published_raw, bool):
        # Epoch seconds, or milliseconds as some APIs send them.
        seconds = published_raw / 1000 if published_raw > 10**11 else published_raw
        published_at = datetime.fromtimestamp(seconds, tz=UTC)
    if published_raw is not None and published_at is None:
        raise NormalizeError(f"JSON field 'published' is not a date: {published_raw!r}")
    url_value = _field(data, "url")
    language = _field(data, "language")
    return TextDocument(
        title=title or first_sentence(text),
        text=text,
        published_at=published_at,
        url=url_value if isinstance(url_value, str) else None,
        authors=_strings(_field(data, "authors")),
        language=language if isinstance(language, str) else None,
        tags=_strings(_field(data, "tags")),
    )
