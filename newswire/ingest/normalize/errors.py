"""Errors of the normalize step."""

from __future__ import annotations

from newswire.errors import NewswireError


class NormalizeError(NewswireError):
    """A document cannot be turned into a ``NormalizedArticle`` (the message says why)."""
