"""Bytes to text for the normalize step: the fetcher's charset rules, binary bodies refused."""

from __future__ import annotations

from newswire.ingest.fetch.charset import binary_reason, decode_text
from newswire.ingest.normalize.errors import NormalizeError


def decode_body(body: bytes, declared_charset: str | None = None) -> str:
    """Decode a fetched or dropped body to text with :func:`~newswire.ingest.fetch.charset.decode_text`.

    Raises :class:`NormalizeError` for a binary body.
    """
    reason = binary_reason(body, None)
    if reason is not None:
        raise NormalizeError(f"binary body (not text or HTML): {reason}")
    text, _ = decode_text(body, declared_charset)
    return text
