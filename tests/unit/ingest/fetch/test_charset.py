"""Charset detection that survives wrong headers, and binary sniffing (pure functions)."""

from __future__ import annotations

import codecs

import pytest

from newswire.ingest.fetch.charset import binary_reason, decode_text, detect_charset, header_charset

CAFE = "<html><body><p>Le café du port : crème brûlée, thé glacé, déjà vu.</p></body></html>"


def test_bom_wins_over_a_wrong_header():
    body = codecs.BOM_UTF16_LE + CAFE.encode("utf-16-le")
    assert detect_charset(body, "iso-8859-1") == "utf-16"


def test_utf8_body_wins_over_a_latin1_header():
    assert detect_charset(CAFE.encode("utf-8"), "iso-8859-1") == "utf-8"


def test_windows_1252_body_with_utf8_header_is_detected():
    text, charset = decode_text(CAFE.encode("cp1252"), "utf-8")
    assert charset == "cp1252"
    assert "crème brûlée" in text


def test_meta_charset_is_used_when_utf8_fails():
    html = '<html><head><meta charset="koi8-r"></head><body><p>Привет, мир! Новости дня.</p></body></html>'
    assert detect_charset(html.encode("koi8-r"), None) == "koi8-r"


def test_xml_declaration_encoding_is_used():
    xml = '<?xml version="1.0" encoding="ISO-8859-15"?><rss><title>€ café</title></rss>'
    assert detect_charset(xml.encode("iso-8859-15"), "utf-8") == "iso8859-15"


def test_header_charset_parameter_is_parsed():
    assert header_charset('text/html; Charset="UTF-8"') == "utf-8"
    assert header_charset("text/html") is None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\nrest", "text/html"),
        (b"%PDF-1.7 rest", None),
        (b"plain words", "image/jpeg"),
        (b"plain words", "application/octet-stream"),
        (b"PK\x03\x04zip", "application/xml"),
        (b"a\x00b\x00c\x00d\x00" * 100, "text/plain"),
        (b"\x1f\x8bgzip", "text/xml"),
    ],
)
def test_binary_bodies_are_recognised(body: bytes, content_type: str | None):
    assert binary_reason(body, content_type) is not None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (CAFE.encode(), "text/html; charset=utf-8"),
        (b'{"a": 1}', "application/json"),
        (b"<rss/>", "application/rss+xml"),
        (codecs.BOM_UTF16_LE + "text".encode("utf-16-le"), "text/plain"),
        (b"no type at all", None),
    ],
)
def test_text_bodies_pass(body: bytes, content_type: str | None):
    assert binary_reason(body, content_type) is None


def test_gzip_passes_only_when_allowed():
    assert binary_reason(b"\x1f\x8bdata", "application/x-gzip", allow_gzip=True) is None
    assert binary_reason(b"\x1f\x8bdata", "application/x-gzip") is not None


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (
            "<p>Правительство объявило о новых мерах поддержки экономики в понедельник.</p>",
            "cp1251",
        ),
        ("<p>Zażółć gęślą jaźń, powiedział minister w poniedziałek wieczorem.</p>", "cp1250"),
    ],
)
def test_other_legacy_code_pages_are_not_mistaken_for_windows_1252(text: str, codec: str):
    assert detect_charset(text.encode(codec), "utf-8") == codec
