"""Telling text from binary bodies, and finding a body's real charset despite wrong headers."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*\sencoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_BINARY_SIGNATURES = (
    b"%PDF",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"Rar!",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x00\x00\x01\x00",
    b"\x7fELF",
    b"MZ",
    b"wOFF",
    b"wOF2",
)
_BINARY_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_BINARY_TYPE_NAMES = frozenset(
    {
        "application/octet-stream",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/vnd.ms-excel",
        "application/msword",
        "application/x-shockwave-flash",
        "application/x-bzip2",
        "application/x-xz",
    }
)
_CHAOS_SLACK = 0.1
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
GZIP_MAGIC = b"\x1f\x8b"


def media_type(content_type: str | None) -> str:
    """The lower-cased media type of a Content-Type header, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def header_charset(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header, if any."""
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def binary_reason(body: bytes, content_type: str | None, *, allow_gzip: bool = False) -> str | None:
    """Why a body is binary rather than a text document, or None when it looks like text.

    Decided by the declared media type and by sniffing the first bytes (magic numbers, NULs),
    so a binary body sent as ``text/html`` is caught too. ``allow_gzip`` accepts gzip (sitemaps).
    """
    kind = media_type(content_type)
    if allow_gzip and (kind in GZIP_TYPES or body.startswith(GZIP_MAGIC)):
        return None
    if kind.startswith(_BINARY_TYPES) or kind in _BINARY_TYPE_NAMES or kind in GZIP_TYPES:
        return f"binary content type {kind}"
    head = body[:4096]
    for signature in _BINARY_SIGNATURES:
        if head.startswith(signature):
            return f"binary content (starts with {signature[:4]!r})"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if head and head.count(b"\x00") > len(head) // 100:
        return "binary content (NUL bytes)"
    return None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    # WHATWG: pages labelled latin-1 are decoded as windows-1252.
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detect_charset(body: bytes, declared: str | None = None) -> str:
    """The charset to decode ``body`` with.

    Order: byte-order mark; strict UTF-8 (a non-ASCII body that decodes as UTF-8 almost always
    is, whatever the header says); the document's own ``<meta charset>`` or XML declaration; the
    header's charset if the body decodes with it; charset-normalizer's guess; UTF-8.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    if _decodes(body, "utf-8"):
        return "utf-8"
    head = body[:4096]
    inline = _XML_ENCODING_RE.search(head) or _META_CHARSET_RE.search(head)
    for candidate in (
        _codec(inline.group(1).decode("ascii", "ignore")) if inline else None,
        _codec(declared),
    ):
        if candidate and candidate != "utf-8" and _decodes(body, candidate):
            return candidate
    matches = list(from_bytes(body[:200_000]))
    if not matches:
        return "utf-8"
    best = matches[0]
    # Short Western texts fit several code pages about equally; prefer windows-1252, the web's
    # most common legacy encoding (the WHATWG fallback), when it is about as good as the best.
    for match in matches:
        if "cp1252" in match.could_be_from_charset and match.chaos <= best.chaos + _CHAOS_SLACK:
            return "cp1252"
    return str(best.encoding)


def decode_text(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """``(text, charset)``: the body decoded with :func:`detect_charset` (undecodable bytes replaced)."""
    charset = detect_charset(body, declared)
    codec = "utf-8-sig" if charset == "utf-8" else charset
    return body.decode(codec, errors="replace"), charset
