"""Reading extraction input lines and writing event lines (pure; no spaCy).

An input line is either ``{"id", "text", "title"?, "published"? (YYYY-MM-DD), "url"?}`` or a
``NormalizedArticle`` as written by ``newswire normalize`` / ``newswire ingest --output``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newswire.errors import NewswireError
from newswire.extract.extractor import ArticleInput
from newswire.extract.merge import ArticleFacts
from newswire.validation import first_error
from schemas.articles import NormalizedArticle
from schemas.events import Event

_ARTICLE_ID = re.compile(r"^[0-9a-f]{32}$")
_NORMALIZED_KEYS = frozenset({"content_hash", "fetched_at", "text_method"})


class InputLineError(NewswireError):
    """One input line is not a usable article."""


class PlainArticleLine(BaseModel):
    """The simple input shape."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Annotated[str, Field(min_length=1)]
    text: str
    title: str | None = None
    published: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class InputArticle:
    """A parsed input line: the article and the id to write back on its events."""

    line_number: int
    item: ArticleInput
    output_id: str


def article_id_for(raw_id: str) -> str:
    """The contract article id for an input id: the id itself, so events join to their input."""
    return raw_id


def _published(value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError as exc:
        raise InputLineError(f"published: not a date (YYYY-MM-DD): {value!r}") from exc


def parse_input_line(line: str, line_number: int) -> InputArticle:
    """Parse one input line; raise :class:`InputLineError` saying what is wrong."""
    try:
        data: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputLineError(f"not valid JSON: {exc.msg} (column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise InputLineError("not a JSON object")
    if _NORMALIZED_KEYS & data.keys():
        try:
            article = NormalizedArticle.model_validate_json(line)
        except ValidationError as exc:
            raise InputLineError(f"not a NormalizedArticle: {first_error(exc)}") from exc
        return InputArticle(line_number, ArticleInput.from_article(article), article.id)
    try:
        plain = PlainArticleLine.model_validate(data)
    except ValidationError as exc:
        raise InputLineError(first_error(exc)) from exc
    article_id = article_id_for(plain.id)
    item = ArticleInput(
        ArticleFacts(article_id=article_id, title=plain.title, url=plain.url),
        plain.text,
        _published(plain.published),
    )
    if item.published is None:
        item = ArticleInput.from_text(article_id, plain.text, title=plain.title, url=plain.url)
    return InputArticle(line_number, item, plain.id)


def event_line(event: Event, output_id: str) -> str:
    """The JSON line of an event (the ``Event`` contract); ``article_id`` is the input's id."""
    if output_id != event.article_id:
        raise ValueError(f"event of article {event.article_id!r} written for {output_id!r}")
    return event.model_dump_json()
