"""Committed JSON Schema exports: up to date, and never broken within a version."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import pytest
from pydantic import Field

from schemas.base import Contract
from schemas.export import EXPORTED, breaking_changes, export_path, json_schema, render


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_current_models_stay_compatible_with_the_committed_exports(name: str) -> None:
    model = EXPORTED[name]
    path = export_path(name, model)
    assert path.is_file(), f"{path.name} is not committed; run `make schemas`"
    committed = json.loads(path.read_text())
    problems = breaking_changes(committed, json_schema(model))
    assert not problems, (
        f"{model.__name__} breaks {path.name}: {problems}. Bump schema_version and add a new "
        "topic/contract version instead."
    )


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_committed_exports_are_up_to_date(name: str) -> None:
    model = EXPORTED[name]
    path = export_path(name, model)
    assert path.read_text() == render(json_schema(model)), (
        f"{path.name} is stale: run `make schemas`"
    )


class _V1(Contract):
    schema_version: Literal[1] = 1
    id: str
    kind: Literal["a", "b"]
    note: str | None = None


class _Compatible(Contract):
    schema_version: Literal[1] = 1
    id: str
    kind: Literal["a", "b", "c"]
    note: str | None = None
    added: int = 0


class _RemovesField(Contract):
    schema_version: Literal[1] = 1
    id: str
    kind: Literal["a", "b"]


class _NewlyRequired(Contract):
    schema_version: Literal[1] = 1
    id: str
    kind: Literal["a", "b"]
    note: str | None = None
    must: str


class _Narrowed(Contract):
    schema_version: Literal[1] = 1
    id: str
    kind: Literal["a"]
    note: str | None = None


def test_adding_optional_fields_and_values_is_compatible() -> None:
    assert breaking_changes(json_schema(_V1), json_schema(_Compatible)) == []


def test_removing_a_field_breaks() -> None:
    assert breaking_changes(json_schema(_V1), json_schema(_RemovesField)) == ["note: removed"]


def test_requiring_a_new_field_breaks() -> None:
    assert breaking_changes(json_schema(_V1), json_schema(_NewlyRequired)) == [
        "must: newly required"
    ]


def test_narrowing_accepted_values_breaks() -> None:
    problems = breaking_changes(json_schema(_V1), json_schema(_Narrowed))
    assert problems == ["kind: no longer accepts ['value:b']"]


class _Inner(Contract):
    code: str
    label: str | None = None


class _InnerWithoutLabel(Contract):
    code: str


class _InnerStricter(Contract):
    code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    label: str | None = None


class _Outer(Contract):
    schema_version: Literal[1] = 1
    items: tuple[_Inner, ...] = ()
    maybe: _Inner | None = None


def _outer(inner: type[Contract]) -> type[Contract]:
    class Outer(Contract):
        schema_version: Literal[1] = 1
        items: tuple[inner, ...] = ()  # type: ignore[valid-type]
        maybe: inner | None = None  # type: ignore[valid-type]

    return Outer


def test_changes_inside_array_items_and_optional_models_are_found() -> None:
    removed = breaking_changes(json_schema(_Outer), json_schema(_outer(_InnerWithoutLabel)))
    assert "items.[].label: removed" in removed
    tightened = breaking_changes(json_schema(_Outer), json_schema(_outer(_InnerStricter)))
    assert any("code: pattern changed" in p for p in tightened)
