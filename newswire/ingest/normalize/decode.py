"""Bytes to text: charset detection that survives wrong or missing headers."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from newswire.ingest.normalize.errors import NormalizeError

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY_SIGNATURES = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
)


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def looks_binary(body: bytes) -> bool:
    """Whether a body is an image, archive, PDF or other non-text payload."""
    head = body[:4096]
    if head.startswith(_BINARY_SIGNATURES):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return head.count(b"\x00") > len(head) // 100


def decode_body(body: bytes, declared_charset: str | None = None) -> str:
    """Decode a fetched or dropped body to text.

    Order: byte-order mark; strict UTF-8 (a body that decodes as UTF-8 almost always is, whatever
    the header says); the ``<meta charset>`` of the document; the declared (header) charset;
    charset-normalizer's detection. Raises :class:`NormalizeError` for a binary body.
    """
    if looks_binary(body):
        raise NormalizeError("binary body (not text or HTML)")
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET_RE.search(body[:4096])
    candidates: list[str | None] = [
        _known_codec(meta.group(1).decode("ascii", "ignore")) if meta else None
    ]
    candidates.append(_known_codec(declared_charset))
    for candidate in candidates:
        if candidate and candidate != "utf-8":
            try:
                return body.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    best = from_bytes(body[:200_000]).best()
    detected = best.encoding if best is not None else None
    if detected:
        return body.decode(detected, errors="replace")
    return body.decode("utf-8", errors="replace")
