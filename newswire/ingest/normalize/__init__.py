"""Normalizing: fetched or dropped documents to ``NormalizedArticle`` records (pure functions).

The public names are loaded on first use, so that importing a light submodule (``fingerprint``,
``urls``) does not pull trafilatura and lxml in, e.g. in de-duplication worker processes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newswire.ingest.normalize.article import (
        NORMALIZABLE_SUFFIXES,
        NormalizeOptions,
        normalize_document,
        normalize_file_bytes,
        normalize_path,
    )
    from newswire.ingest.normalize.errors import NormalizeError
    from newswire.ingest.normalize.urls import UrlError, canonicalize_url, resolve_canonical

_EXPORTS = {
    "NORMALIZABLE_SUFFIXES": "article",
    "NormalizeOptions": "article",
    "normalize_document": "article",
    "normalize_file_bytes": "article",
    "normalize_path": "article",
    "NormalizeError": "errors",
    "UrlError": "urls",
    "canonicalize_url": "urls",
    "resolve_canonical": "urls",
}

__all__ = [
    "NORMALIZABLE_SUFFIXES",
    "NormalizeError",
    "NormalizeOptions",
    "UrlError",
    "canonicalize_url",
    "normalize_document",
    "normalize_file_bytes",
    "normalize_path",
    "resolve_canonical",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
