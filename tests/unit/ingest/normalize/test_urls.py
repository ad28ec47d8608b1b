from __future__ import annotations

import pytest

from newswire.ingest.normalize.urls import (
    UrlError,
    canonicalize_url,
    registered_domain,
    resolve_canonical,
    same_site,
)


def test_tracking_parameters_fragment_default_port_and_host_case_are_dropped() -> None:
    url = "HTTPS://News.Example.COM:443/world//2024/../2024/story.html?utm_source=rss&b=2&fbclid=x&a=1&gclid=y#comments"
    assert canonicalize_url(url) == "https://news.example.com/world/2024/story.html?a=1&b=2"


def test_non_default_port_and_content_selecting_parameters_are_kept() -> None:
    url = "http://example.org:8080/article?id=42&page=2&utm_medium=social"
    assert canonicalize_url(url) == "http://example.org:8080/article?id=42&page=2"


def test_empty_path_becomes_slash_and_percent_encoding_is_unified() -> None:
    assert canonicalize_url("https://example.org") == "https://example.org/"
    assert canonicalize_url("https://example.org/caf%c3%a9/%7Euser") == canonicalize_url(
        "https://example.org/café/~user"
    )


@pytest.mark.parametrize("bad", ["ftp://example.org/file", "/relative/path", "not a url", ""])
def test_non_http_urls_are_rejected(bad: str) -> None:
    with pytest.raises(UrlError):
        canonicalize_url(bad)


def test_same_site_canonical_link_is_honoured() -> None:
    page = "https://m.example.co.uk/news/1?utm_campaign=x"
    assert (
        resolve_canonical(page, "https://www.example.co.uk/news/1")
        == "https://www.example.co.uk/news/1"
    )


def test_relative_canonical_link_is_resolved_against_the_page() -> None:
    assert resolve_canonical("https://example.org/a/b?x=1", "/a/b") == "https://example.org/a/b"


def test_cross_site_canonical_link_is_ignored() -> None:
    page = "https://example.org/story?utm_source=x"
    assert resolve_canonical(page, "https://other.example.net/story") == "https://example.org/story"


def test_registered_domain_handles_multi_label_suffixes() -> None:
    assert registered_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("edition.cnn.com") == "cnn.com"
    assert not same_site("https://bbc.co.uk/a", "https://evil.co.uk/a")
