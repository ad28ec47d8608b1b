"""Turning a pydantic ``ValidationError`` into the one-line messages our errors carry.

Every boundary that validates input (catalogues, contract lines, settings, subscriptions, the
extraction data files) reports problems as ``where: what`` with these helpers, so messages read
the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError


def format_location(loc: Sequence[int | str], *, indexed: bool = False, root: str = "") -> str:
    """A field path: ``a.0.b`` (or ``a[0].b`` with ``indexed``); ``root`` for an empty path."""
    if not indexed:
        return ".".join(str(part) for part in loc) or root
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else item)
    return "".join(parts) or root


def first_error(exc: ValidationError, *, indexed: bool = False) -> str:
    """``where: what`` of the first problem only."""
    first = exc.errors()[0]
    return f"{format_location(tuple(first['loc']), indexed=indexed)}: {first['msg']}"


def describe_errors(exc: ValidationError, *, limit: int | None = None, root: str = "<root>") -> str:
    """Every problem (or the first ``limit``) as ``where: what; ...``, with ``(+N more)``."""
    errors = exc.errors()
    shown = errors if limit is None else errors[:limit]
    parts = [f"{format_location(tuple(item['loc']), root=root)}: {item['msg']}" for item in shown]
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def describe_settings_error(exc: ValidationError) -> str:
    """The one-line message of settings that failed validation: ``invalid X settings: ...``.

    Only locations and messages, never the values given (they may be passwords).
    """
    return f"invalid {exc.title} settings: {describe_errors(exc, root='')}"
