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


_TIGHTER_WHEN_LOWER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")
_TIGHTER_WHEN_HIGHER = ("minLength", "minimum", "exclusiveMinimum", "minItems")


def _constraint_changes(old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if old.get("pattern") != new.get("pattern") and "pattern" in new:
        problems.append(f"{path}: pattern changed to {new['pattern']!r}")
    for key in _TIGHTER_WHEN_LOWER:
        if key in new and (key not in old or new[key] < old[key]):
            problems.append(f"{path}: {key} tightened to {new[key]}")
    for key in _TIGHTER_WHEN_HIGHER:
        if key in new and (key not in old or new[key] > old[key]):
            problems.append(f"{path}: {key} tightened to {new[key]}")
    if (
        old.get("additionalProperties", True) is not False
        and new.get("additionalProperties") is False
    ):
        problems.append(f"{path}: extra properties newly forbidden")
    return problems


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a schema (itself when it has none)."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return list(schema[key])
    return [schema]


def _compare(
    old: dict[str, Any],
    new: dict[str, Any],
    path: str,
    roots: tuple[dict[str, Any], dict[str, Any]],
    seen: set[tuple[int, int]],
) -> list[str]:
    root_old, root_new = roots
    old = _resolve(old, root_old)
    new = _resolve(new, root_new)
    if (id(old), id(new)) in seen:
        return []
    seen.add((id(old), id(new)))
    problems = _constraint_changes(old, new, path.rstrip(".") or "(root)")
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{path}{name}: removed")
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{path}{name}: newly required")
    for name, old_schema in old_props.items():
        if name not in new_props:
            continue
        new_schema = new_props[name]
        lost = _types(old_schema, root_old) - _types(new_schema, root_new)
        if lost and "any" not in _types(new_schema, root_new):
            problems.append(f"{path}{name}: no longer accepts {sorted(lost)}")
        problems.extend(_compare(old_schema, new_schema, f"{path}{name}.", roots, seen))
    # Arrays: compare their items (tuples of contracts, such as Event.actors).
    if "items" in old and "items" in new:
        problems.extend(_compare(old["items"], new["items"], f"{path}[].", roots, seen))
    # Alternatives (optional fields, discriminated unions): pair object branches by title.
    old_objects = {b.get("title"): b for b in map(lambda x: _resolve(x, root_old), _branches(old))}
    new_objects = {b.get("title"): b for b in map(lambda x: _resolve(x, root_new), _branches(new))}
    if len(old_objects) > 1 or len(new_objects) > 1:
        for title, branch in old_objects.items():
            if title and title in new_objects:
                problems.extend(
                    _compare(branch, new_objects[title], f"{path}<{title}>.", roots, seen)
                )
            elif title and branch.get("type") == "object":
                problems.append(f"{path}<{title}>: alternative removed")
    return problems


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Changes from ``old`` to ``new`` that break compatibility within one schema version.

    Breaking, at any depth (nested contracts, array items, optional and union alternatives): a
    property removed, a property newly required, accepted types or values narrowed, a pattern
    changed, a length or range tightened, extra properties newly forbidden. Adding an optional
    property or accepting more values is compatible.
    """
    return _compare(old, new, "", (old, new), set())


def main(argv: list[str] | None = None) -> int:
    """Write every export; with ``--check``, only report stale or missing exports."""
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    EXPORT_DIR.mkdir(exist_ok=True)
    stale: list[str] = []
    for name, model in EXPORTED.items():
        path = export_path(name, model)
        schema = json_schema(model)
        text = render(schema)
        if path.is_file() and path.read_text() == text:
            continue
        if path.is_file():
            problems = breaking_changes(json.loads(path.read_text()), schema)
            if problems:
                print(
                    f"{model.__name__} would break the published {path.name}: {problems}; "
                    "bump its schema_version instead",
                    file=sys.stderr,
                )
                return 2
        stale.append(path.name)
        if not check:
            path.write_text(text)
    if check and stale:
        print(f"stale JSON Schema exports: {', '.join(stale)}; run `make schemas`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
