"""Canonical URLs: one spelling per article, whatever tracking decorations a link carried."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "ref_src",
        "ref_url",
        "rss",
        "cmpid",
        "ncid",
        "sr_share",
        "s_cid",
        "wt.mc_id",
        "ito",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "piwik_", "hsa_", "vero_", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = "-._~"
_PERCENT_RE = re.compile(r"%[0-9a-fA-F]{2}")
_MULTI_LABEL_SUFFIXES = frozenset(
    {"co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp",
     "co.in", "com.br", "com.cn", "com.mx", "co.za", "com.tr", "com.sg", "com.hk", "co.kr"}
)  # fmt: skip


class UrlError(ValueError):
    """A string is not an absolute http(s) URL."""


def is_tracking_parameter(name: str) -> bool:
    """Whether a query parameter only tracks the reader (and never selects content)."""
    lowered = name.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


def _normalize_path(path: str) -> str:
    if not path:
        return "/"
    # Re-quote so that %7E and ~ (or %2f and %2F) spell the same path; keep reserved chars encoded.
    requoted = quote(unquote(path), safe="/:@!$&'()*+,;=" + _UNRESERVED)
    trailing = requoted.endswith("/")
    collapsed = re.sub(r"/{2,}", "/", requoted)
    normalized = posixpath.normpath(collapsed)
    if normalized in (".", ""):
        normalized = "/"
    if not normalized.startswith("/"):
        normalized = "/" + normalized
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    if trailing and not normalized.endswith("/"):
        normalized += "/"
    return normalized


def canonicalize_url(url: str) -> str:
    """The canonical spelling of an absolute http(s) URL.

    Scheme and host are lowercased, the default port, the fragment, user info and tracking
    parameters (``utm_*``, ``fbclid``, ``gclid``, ...) are dropped, the path is normalized (dot
    segments, repeated slashes, percent-encoding) and the remaining query parameters are sorted.
    Raises :class:`UrlError` for anything that is not an absolute http(s) URL.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlError(f"not a valid URL: {url!r} ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise UrlError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    query_pairs = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_parameter(name)
    ]
    query = urlencode(sorted(query_pairs), doseq=False)
    return urlunsplit((scheme, netloc, _normalize_path(parts.path), query, ""))


def registered_domain(host: str) -> str:
    """A cheap approximation of the registrable domain (``www.bbc.co.uk`` -> ``bbc.co.uk``)."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _MULTI_LABEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url_a: str, url_b: str) -> bool:
    """Whether two URLs belong to the same site (same registrable domain)."""
    host_a = urlsplit(url_a).hostname
    host_b = urlsplit(url_b).hostname
    if not host_a or not host_b:
        return False
    return registered_domain(host_a) == registered_domain(host_b)


def resolve_canonical(page_url: str, declared: str | None) -> str:
    """The canonical URL of a page: its ``<link rel=canonical>`` when same-site, else its own.

    A canonical link pointing to another site is ignored: it could make one site's page claim
    another's identity (and collapse unrelated articles in de-duplication).
    """
    own = canonicalize_url(page_url)
    if not declared or not declared.strip():
        return own
    try:
        candidate = canonicalize_url(urljoin(page_url, declared.strip()))
    except UrlError:
        return own
    return candidate if same_site(own, candidate) else own
