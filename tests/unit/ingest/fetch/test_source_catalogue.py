"""The source catalogue: defaults, kind-specific options, and errors naming file, source, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.ingest.sources import (
    DEFAULT_RATE_LIMIT_PER_SECOND,
    CatalogueError,
    CursorPagination,
    load_catalogue,
    parse_catalogue,
)
from schemas.documents import SourceKind

CATALOGUES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "web" / "catalogues"
SHIPPED = Path(__file__).resolve().parents[4] / "newswire" / "ingest" / "catalogues"


def _one(entry: dict[str, object], path: Path = Path("cat.yaml")):
    return parse_catalogue({"sources": [entry]}, path)


def test_minimal_entry_gets_sensible_defaults():
    source = _one({"id": "example-feed", "kind": "rss", "url": "https://example.org/feed.xml"})
    [entry] = source.sources

    assert entry.kind is SourceKind.RSS
    assert entry.schedule == "@hourly"
    assert entry.rate_limit_per_second == DEFAULT_RATE_LIMIT_PER_SECOND
    assert entry.enabled is True
    assert entry.allow_private_network is False
    assert entry.tags == ()
    assert entry.host == "example.org"


def test_bad_entry_error_names_file_source_and_field():
    path = CATALOGUES / "bad-entry.yaml"
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)

    message = str(caught.value)
    assert str(path) in message
    assert "'broken-wire'" in message
    assert "rate_limit_per_second" in message
    assert "harbor-gazette" not in message


def test_relative_filedrop_path_is_resolved_against_the_catalogue_folder():
    catalogue = load_catalogue(CATALOGUES / "relative-drop.yaml")

    drop = catalogue.get("local-drop")
    assert drop.path == (CATALOGUES.parent / "drop").resolve()
    assert drop.tags == ("local", "demo")
    listing = catalogue.get("harbor-listing")
    assert listing.html_options.follow_links
    assert listing.schedule == "*/30 * * * *"
    api = catalogue.get("wire-api")
    assert isinstance(api.json_options.pagination, CursorPagination)
    assert api.json_options.fields.items == "data.articles"
    assert [s.id for s in catalogue.enabled_sources] == ["local-drop", "harbor-listing"]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"id": "Bad_Id", "kind": "rss", "url": "https://x.org/f"}, "'id'"),
        ({"id": "a", "kind": "podcast", "url": "https://x.org/f"}, "'kind'"),
        ({"id": "a", "kind": "rss"}, "'url'"),
        ({"id": "a", "kind": "rss", "url": "ftp://x.org/feed"}, "'url'"),
        ({"id": "a", "kind": "filedrop"}, "'path'"),
        ({"id": "a", "kind": "filedrop", "path": "d", "url": "https://x.org/"}, "'url'"),
        (
            {"id": "a", "kind": "rss", "url": "https://x.org/f", "schedule": "61 * * * *"},
            "'schedule'",
        ),
        (
            {"id": "a", "kind": "rss", "url": "https://x.org/f", "schedule": "@sometimes"},
            "'schedule'",
        ),
        ({"id": "a", "kind": "rss", "url": "https://x.org/f", "language": "english"}, "'language'"),
        ({"id": "a", "kind": "rss", "url": "https://x.org/f", "max_items": 0}, "'max_items'"),
        ({"id": "a", "kind": "rss", "url": "https://x.org/f", "colour": "red"}, "'colour'"),
        (
            {"id": "a", "kind": "html", "url": "https://x.org/", "html": {"follow_links": True}},
            "'html.link_pattern'",
        ),
        (
            {"id": "a", "kind": "html", "url": "https://x.org/", "html": {"link_pattern": "("}},
            "'html.link_pattern'",
        ),
        ({"id": "a", "kind": "rss", "url": "https://x.org/", "html": {}}, "'html'"),
        (
            {
                "id": "a",
                "kind": "json",
                "url": "https://x.org/",
                "json": {"pagination": {"type": "cursor"}},
            },
            "cursor_field",
        ),
    ],
)
def test_each_invalid_field_is_named(entry: dict[str, object], field: str):
    with pytest.raises(CatalogueError) as caught:
        _one(entry, Path("/etc/newswire/sources.yaml"))

    message = str(caught.value)
    assert message.startswith("/etc/newswire/sources.yaml: ")
    assert field in message
    assert "sources[0]" in message


def test_duplicate_ids_are_refused():
    entry = {"id": "same", "kind": "rss", "url": "https://x.org/f"}
    with pytest.raises(CatalogueError, match="duplicate source id 'same'"):
        parse_catalogue({"sources": [entry, entry]}, Path("cat.yaml"))


def test_missing_sources_list_is_refused(tmp_path: Path):
    path = tmp_path / "empty.yaml"
    path.write_text("title: nothing here\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="'sources'"):
        load_catalogue(path)


def test_invalid_yaml_and_missing_file_are_catalogue_errors(tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(broken)
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "absent.yaml")


def test_unknown_source_id_is_a_catalogue_error():
    catalogue = _one({"id": "a", "kind": "rss", "url": "https://x.org/f"})
    with pytest.raises(CatalogueError, match="no source 'b'"):
        catalogue.get("b")


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_catalogues_load(path: Path):
    catalogue = load_catalogue(path)
    assert catalogue.sources
