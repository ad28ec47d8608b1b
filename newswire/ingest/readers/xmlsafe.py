"""Parsing XML without entity expansion or external references (defusedxml)."""

from __future__ import annotations

import zlib
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from newswire.ingest.fetch.charset import GZIP_MAGIC
from newswire.ingest.fetch.errors import BodyTooLargeError, DocumentParseError, UnsafeXmlError

_ENTITY_DECLARATION = b"<!ENTITY"


def parse_xml(body: bytes, url: str) -> Element:
    """Parse an XML document, refusing entity declarations and external references.

    Raises :class:`UnsafeXmlError` for XML bombs and the like, :class:`DocumentParseError` for
    malformed XML.
    """
    try:
        root: Element = fromstring(
            body, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise UnsafeXmlError(
            url, f"XML refused: entity declarations or external references ({type(exc).__name__})"
        ) from None
    except ParseError as exc:
        raise DocumentParseError(url, f"malformed XML: {exc}") from None
    return root


def check_xml_safe(body: bytes, url: str) -> None:
    """Raise :class:`UnsafeXmlError` if the document declares entities or external references.

    Malformed XML passes (a lenient parser may still read it); only danger is refused.
    """
    try:
        parse_xml(body, url)
    except UnsafeXmlError:
        raise
    except DocumentParseError:
        if _ENTITY_DECLARATION in body:
            raise UnsafeXmlError(url, "XML refused: entity declarations") from None


def gunzip_capped(body: bytes, url: str, cap: int) -> bytes:
    """Decompress a gzip body, refusing more than ``cap`` bytes of output (gzip bombs)."""
    if not body.startswith(GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, cap + 1)
    except zlib.error as exc:
        raise DocumentParseError(url, f"corrupt gzip body: {exc}") from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise BodyTooLargeError(url, f"gzip body expands beyond the {cap}-byte cap")
    return out


def local_name(element: Element) -> str:
    """The tag of an element without its namespace, lower-cased."""
    return element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""


def child_text(element: Element, name: str) -> str | None:
    """Stripped text of the first child (any namespace) named ``name``."""
    for child in element:
        if local_name(child) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def find_child(element: Element, name: str) -> Element | None:
    """The first child (any namespace) named ``name``."""
    for child in element:
        if local_name(child) == name:
            return child
    return None
