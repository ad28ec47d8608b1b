"""The source catalogue: which feeds, sitemaps, pages, APIs and folders to ingest, and how.

A catalogue is a YAML file with a ``sources:`` list; each entry is validated at load time by the
models below, and a bad entry raises :class:`CatalogueError` naming the file, the source and the
field. Relative ``path:`` values (filedrop sources) are resolved against the catalogue's folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from newswire.errors import NewswireError
from newswire.resources import resource_path
from schemas.articles import SourceId
from schemas.documents import SourceKind

SCHEDULE_PRESETS = frozenset(
    {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"}
    | {"@annually", "@midnight"}
)
DEFAULT_SCHEDULE = "@hourly"
DEFAULT_RATE_LIMIT_PER_SECOND = 1.0
DEFAULT_MAX_ITEMS = 200


class CatalogueError(NewswireError):
    """A source catalogue that cannot be read or has an invalid entry.

    The message names the file, the source (its id, or its index when it has no usable id) and
    the field at fault.
    """


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
    return value


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return value


HttpUrlText = Annotated[str, Field(min_length=8, max_length=2048)]


class HtmlOptions(_Frozen):
    """Options of an ``html`` source.

    Without ``follow_links`` the URL is an article page. With it, the URL is a listing page whose
    links matching ``link_pattern`` (a regular expression searched in the absolute link URL) are
    fetched as articles, one level deep and same host unless ``same_host_only`` is false.
    """

    follow_links: bool = False
    link_pattern: str | None = None
    same_host_only: bool = True
    max_links: int = Field(default=50, ge=1, le=1000)

    @field_validator("link_pattern")
    @classmethod
    def _valid_pattern(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)


class JsonFieldMapping(_Frozen):
    """Where each piece of an article lives in a JSON API response (dotted paths).

    ``items`` locates the list of articles in a page of the response (empty: the response is the
    list); the other paths are read inside each item. An item needs ``url`` or ``text``: with a
    text it is a document by itself, with only a URL its page is fetched.
    """

    items: str = ""
    url: str | None = "url"
    title: str | None = "title"
    published_at: str | None = "published_at"
    authors: str | None = None
    summary: str | None = None
    text: str | None = None
    language: str | None = None
    tags: str | None = None


class CursorPagination(_Frozen):
    """Pagination by an opaque cursor read from each response and sent back as a parameter."""

    type: Literal["cursor"]
    cursor_field: str = Field(description="Dotted path of the next cursor in the response.")
    cursor_param: str = "cursor"
    max_pages: int = Field(default=5, ge=1, le=1000)


class PagePagination(_Frozen):
    """Pagination by page number, stopping at an empty page or ``max_pages``."""

    type: Literal["page"]
    page_param: str = "page"
    first_page: int = Field(default=1, ge=0)
    page_size_param: str | None = None
    page_size: int | None = Field(default=None, ge=1, le=1000)
    max_pages: int = Field(default=5, ge=1, le=1000)


class JsonOptions(_Frozen):
    """Options of a ``json`` news API source."""

    fields: JsonFieldMapping = JsonFieldMapping()
    pagination: Annotated[CursorPagination | PagePagination, Field(discriminator="type")] | None = (
        None
    )
    params: dict[str, str] = Field(default_factory=dict, description="Extra query parameters.")
    fetch_articles: bool = Field(
        default=True, description="Fetch the page of an item that has a URL but no text."
    )


class Source(_Frozen):
    """One entry of the catalogue.

    ``url`` is required for every kind but ``filedrop``, which takes ``path`` (a folder) instead.
    ``rate_limit_per_second`` applies per host, shared by every task and process fetching it.
    """

    id: SourceId
    kind: SourceKind
    url: HttpUrlText | None = None
    path: Path | None = None
    allow_private_network: bool = False
    schedule: str = DEFAULT_SCHEDULE
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = None
    rate_limit_per_second: float = Field(default=DEFAULT_RATE_LIMIT_PER_SECOND, gt=0, le=100)
    tags: tuple[str, ...] = ()
    enabled: bool = True
    max_items: int = Field(default=DEFAULT_MAX_ITEMS, ge=1, le=100_000)
    fetch_articles: bool = Field(
        default=True,
        description="rss/atom: fetch each entry's page (false: use the feed's own content).",
    )
    html: HtmlOptions | None = None
    json_api: JsonOptions | None = Field(default=None, alias="json")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        text = value.strip()
        if text.startswith("@"):
            if text not in SCHEDULE_PRESETS:
                raise ValueError(
                    f"unknown preset {text!r} (one of {', '.join(sorted(SCHEDULE_PRESETS))})"
                )
            return text
        from croniter import croniter  # type: ignore[import-untyped]

        if len(text.split()) != 5 or not croniter.is_valid(text):
            raise ValueError(f"not a 5-field cron expression or @preset: {value!r}")
        return text

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(dict.fromkeys(tag.strip() for tag in value if tag.strip()))
        return cleaned

    @model_validator(mode="after")
    def _kind_fields(self) -> Source:
        if self.kind is SourceKind.FILEDROP:
            if self.path is None:
                raise ValueError("path: a filedrop source needs `path:` (a folder)")
            if self.url is not None:
                raise ValueError("url: a filedrop source takes `path:`, not `url:`")
        else:
            if self.url is None:
                raise ValueError(f"url: a {self.kind.value} source needs `url:`")
            if self.path is not None:
                raise ValueError(f"path: only filedrop sources take `path:`, not {self.kind.value}")
        if self.html is not None and self.kind is not SourceKind.HTML:
            raise ValueError("html: options given for a source that is not of kind html")
        if self.json_api is not None and self.kind is not SourceKind.JSON:
            raise ValueError("json: options given for a source that is not of kind json")
        if (
            self.html is not None
            and self.html.follow_links
            and self.html.link_pattern is None
            and self.kind is SourceKind.HTML
        ):
            raise ValueError("html.link_pattern: follow_links needs a link_pattern")
        return self

    @property
    def html_options(self) -> HtmlOptions:
        """The html options, defaults when none were given."""
        return self.html or HtmlOptions()

    @property
    def json_options(self) -> JsonOptions:
        """The json options, defaults when none were given."""
        return self.json_api or JsonOptions()

    @property
    def host(self) -> str | None:
        """The host of ``url`` (lower case), or None for a filedrop source."""
        return urlsplit(self.url).hostname if self.url else None


class SourceCatalogue(_Frozen):
    """A validated catalogue: sources with unique ids."""

    sources: tuple[Source, ...]

    @field_validator("sources")
    @classmethod
    def _unique_ids(cls, value: tuple[Source, ...]) -> tuple[Source, ...]:
        seen: set[str] = set()
        for source in value:
            if source.id in seen:
                raise ValueError(f"duplicate source id {source.id!r}")
            seen.add(source.id)
        return value

    @property
    def enabled_sources(self) -> tuple[Source, ...]:
        """The sources to ingest (``enabled: true``)."""
        return tuple(source for source in self.sources if source.enabled)

    def get(self, source_id: str) -> Source:
        """The source with this id; raises :class:`CatalogueError` when there is none."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise CatalogueError(f"no source {source_id!r} in the catalogue")


def _describe_location(raw: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    """(source label, field path) for a validation error location."""
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        index = loc[1]
        label = f"sources[{index}]"
        entries = raw.get("sources") if isinstance(raw, dict) else None
        if isinstance(entries, list) and index < len(entries):
            entry = entries[index]
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                label = f"source {entry['id']!r} (sources[{index}])"
        field = ".".join(str(part) for part in loc[2:]) or "(entry)"
        return label, field
    return "catalogue", ".".join(str(part) for part in loc) or "(root)"


def _format_errors(path: Path, raw: Any, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        label, field = _describe_location(raw, tuple(item["loc"]))
        message = str(item["msg"]).removeprefix("Value error, ")
        if field == "(entry)" and ":" in message:
            # Cross-field checks name their field before a colon ("url: ...").
            head, _, rest = message.partition(":")
            if re.fullmatch(r"[a-z_.]+", head.strip()):
                field, message = head.strip(), rest.strip()
        lines.append(f"{path}: {label}: field {field!r}: {message}")
    return "\n".join(lines)


def parse_catalogue(raw: Any, path: Path) -> SourceCatalogue:
    """Validate already-loaded YAML data as a catalogue read from ``path``.

    Relative filedrop paths are resolved against ``path``'s folder.
    """
    if not isinstance(raw, dict) or "sources" not in raw:
        raise CatalogueError(f"{path}: catalogue: field 'sources': a `sources:` list is required")
    try:
        catalogue = SourceCatalogue.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(_format_errors(path, raw, exc)) from exc
    base = path.parent.resolve()
    resolved = tuple(
        source.model_copy(update={"path": (base / source.path).resolve()})
        if source.path is not None and not source.path.is_absolute()
        else source
        for source in catalogue.sources
    )
    return SourceCatalogue(sources=resolved)


def load_catalogue(path: Path | str) -> SourceCatalogue:
    """Read and validate the YAML catalogue at ``path``.

    Raises :class:`CatalogueError` naming the file, the source and the field on any problem.
    """
    catalogue_path = Path(path)
    try:
        text = catalogue_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{catalogue_path}: cannot read the catalogue: {exc}") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{catalogue_path}: not valid YAML: {exc}") from exc
    return parse_catalogue(raw, catalogue_path)


def default_catalogue_path() -> Path:
    """The packaged public-news catalogue: the DAG's catalogue when none is configured."""
    return resource_path("newswire.ingest", "catalogues", "public-news.yaml")
