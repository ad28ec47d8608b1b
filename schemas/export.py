"""JSON Schema exports of the contracts, and the compatibility rules they are checked against.

``python -m schemas.export`` writes ``schemas/jsonschema/<name>.v<version>.json``. The committed
files are the published contracts: a test fails when a model changes in a way that would break a
reader or writer of the committed version (see :func:`breaking_changes`), and when an export is
stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from schemas.articles import NormalizedArticle
from schemas.base import Contract
from schemas.documents import FetchedDocument
from schemas.events import Event
from schemas.notifications import DeliveryRecord, Notification
from schemas.subscriptions import SubscriptionCatalogue

EXPORT_DIR = Path(__file__).resolve().parent / "jsonschema"

EXPORTED: dict[str, type[Contract]] = {
    "normalized-article": NormalizedArticle,
    "fetched-document": FetchedDocument,
    "event": Event,
    "notification": Notification,
    "delivery-record": DeliveryRecord,
    "subscriptions": SubscriptionCatalogue,
}


def _version(model: type[Contract]) -> int:
    field = model.model_fields.get("schema_version")
    if field is None or not isinstance(field.default, int):
        # Catalogue-like models carry the version of what they contain.
        return 1
    return field.default


def export_path(name: str, model: type[Contract]) -> Path:
    """Where the export of ``model`` lives."""
    return EXPORT_DIR / f"{name}.v{_version(model)}.json"


def json_schema(model: type[Contract]) -> dict[str, Any]:
    """The JSON Schema of a contract as it validates input."""
    return model.model_json_schema(mode="validation")


def render(schema: dict[str, Any]) -> str:
    """The committed text form of a schema."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = root["$defs"][ref.removeprefix("#/$defs/")]
        return resolved
    return schema


def _types(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        found: set[str] = set()
        for option in schema["anyOf"]:
            found |= _types(option, root)
        return found
    if "enum" in schema:
        return {f"value:{value}" for value in schema["enum"]}
    if "const" in schema:
        return {f"value:{schema['const']}"}
    kind = schema.get("type")
    if isinstance(kind, list):
        return {str(k) for k in kind}
    return {str(kind)} if kind else {"any"}


def breaking_changes(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    path: str = "",
    root_old: dict[str, Any] | None = None,
    root_new: dict[str, Any] | None = None,
) -> list[str]:
    """Changes from ``old`` to ``new`` that break compatibility within one schema version.

    Breaking: a property removed, a property newly required, a property's accepted types
    narrowed (an enum value or a type no longer accepted), or extra properties newly forbidden.
    Adding an optional property or accepting more values is compatible.
    """
    root_old = root_old if root_old is not None else old
    root_new = root_new if root_new is not None else new
    old = _resolve(old, root_old)
    new = _resolve(new, root_new)
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{path}{name}: removed")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{path}{name}: newly required")
    for name, old_schema in old_props.items():
        if name not in new_props:
            continue
        new_schema = new_props[name]
        lost = _types(old_schema, root_old) - _types(new_schema, root_new)
        if lost and "any" not in _types(new_schema, root_new):
            problems.append(f"{path}{name}: no longer accepts {sorted(lost)}")
        problems.extend(
            breaking_changes(
                old_schema, new_schema, path=f"{path}{name}.", root_old=root_old, root_new=root_new
            )
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Write every export; with ``--check``, only report stale or missing exports."""
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    EXPORT_DIR.mkdir(exist_ok=True)
    stale: list[str] = []
    for name, model in EXPORTED.items():
        path = export_path(name, model)
        text = render(json_schema(model))
        if path.is_file() and path.read_text() == text:
            continue
        stale.append(path.name)
        if not check:
            path.write_text(text)
    if check and stale:
        print(f"stale JSON Schema exports: {', '.join(stale)}; run `make schemas`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
