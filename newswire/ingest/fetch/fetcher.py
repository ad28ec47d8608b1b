"""The HTTP fetcher, polite and defensive.

Polite: robots.txt, a per-host rate limit, conditional GET, ``Retry-After``. Defensive: timeouts,
a size cap, a redirect cap, binary bodies and private addresses refused.
"""

from __future__ import annotations

import hashlib
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from newswire.ingest.fetch.charset import binary_reason, detect_charset, header_charset
from newswire.ingest.fetch.errors import (
    BinaryBodyError,
    BlockedAddressError,
    BodyTooLargeError,
    DeadlineExceededError,
    FetchConnectionError,
    FetchError,
    FetchTimeoutError,
    HttpStatusError,
    InvalidUrlError,
    RedirectLoopError,
    ResolutionError,
    RetryAfterTooLongError,
    RobotsDisallowedError,
    TooManyRedirectsError,
)
from newswire.ingest.fetch.netguard import (
    AddressBlocked,
    Connector,
    GuardedNetworkBackend,
    GuardedTransport,
    ResolutionFailed,
    Resolver,
    request_deadline,
    system_resolver,
)
from newswire.ingest.fetch.ratelimit import HostRateLimiter
from newswire.ingest.fetch.robots import (
    ALLOW_ALL,
    DISALLOW_ALL,
    ROBOTS_PATH,
    RobotsPolicy,
    decode_policy,
    encode_policy,
    policy_for_status,
    robots_url,
)
from newswire.ingest.fetch.settings import FetchSettings
from newswire.ingest.fetch.state import FetchState, StateMark, Validators
from newswire.lifecycle import Resource
from newswire.retry import backoff_delay

if TYPE_CHECKING:
    from newswire.ingest.fetch.pool import FetchPool
    from newswire.ingest.sources import Source

PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"
FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"
)
JSON_ACCEPT = "application/json,*/*;q=0.5"
log = logging.getLogger(__name__)
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
STATE_FILE_NAME = "fetch-state.sqlite3"
_DEADLINE_SLACK_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one successful fetch: a body, or "not modified" (nothing downloaded)."""

    url: str
    final_url: str
    status: int
    not_modified: bool
    body: bytes
    content_type: str | None
    charset: str | None
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    redirects: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        """Hex sha256 of the body."""
        return hashlib.sha256(self.body).hexdigest()

    def text(self) -> str:
        """The body decoded with the detected charset (undecodable bytes replaced)."""
        codec = self.charset or "utf-8"
        return self.body.decode("utf-8-sig" if codec == "utf-8" else codec, errors="replace")


class _Retryable(Exception):  # noqa: N818 - internal control flow, never escapes the fetcher
    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


@dataclass(slots=True)
class _Hop:
    status: int
    url: str
    location: str | None = None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def check_url(url: str) -> str:
    """Return ``url`` without its fragment; raise :class:`InvalidUrlError` unless absolute http(s)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise InvalidUrlError(url, f"malformed URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUrlError(url, "only absolute http(s) URLs are fetched")
    if parts.username or parts.password:
        raise InvalidUrlError(url, "URLs with credentials are not fetched")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Fetcher(Resource):
    """Fetches URLs for the readers; create it, then :meth:`open` it (or use ``with``).

    State (validators, robots cache, rate-limit slots) lives under ``state_dir / "fetch"``.
    ``resolver`` and ``connector`` are hooks for tests (see :mod:`.netguard`); ``sleep``,
    ``clock`` and ``jitter`` make waiting deterministic in tests; ``ssl_context`` replaces the
    default verifying TLS context (certifi's CAs), e.g. to trust a private CA. ``pool`` is the
    pass's :class:`~newswire.ingest.fetch.pool.FetchPool`: each request then holds one of its
    request slots, and deadline misses count towards its per-host breaker.
    """

    def __init__(
        self,
        state_dir: Path,
        settings: FetchSettings,
        *,
        resolver: Resolver | None = None,
        connector: Connector | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        ssl_context: ssl.SSLContext | None = None,
        pool: FetchPool | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.state_dir = state_dir
        self.state = FetchState(
            state_dir / "fetch" / STATE_FILE_NAME,
            timeout_seconds=self.settings.sqlite_timeout_seconds,
        )
        self._resolver = resolver or system_resolver(self.settings.dns_timeout_seconds)
        self._connector = connector
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._ssl_context = ssl_context
        self.limiter = HostRateLimiter(state_dir / "fetch" / "hosts", clock=clock, sleep=sleep)
        self._clients: dict[bool, httpx.Client] = {}
        self._robots: dict[tuple[str, bool], tuple[RobotsPolicy, float]] = {}
        self._lock = threading.Lock()
        self._held: list[StateMark] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def open(self) -> None:
        """Open the durable state; HTTP clients are created on first use per network policy."""
        self.state.open()

    def close(self) -> None:
        """Close the HTTP clients and the state."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
        self.state.close()

    def _client(self, allow_private_network: bool) -> httpx.Client:
        with self._lock:
            client = self._clients.get(allow_private_network)
            if client is None:
                backend = GuardedNetworkBackend(
                    self._resolver,
                    allow_private_network=allow_private_network,
                    connector=self._connector,
                )
                settings = self.settings
                client = httpx.Client(
                    transport=GuardedTransport(backend, ssl_context=self._ssl_context),
                    follow_redirects=False,
                    trust_env=False,
                    timeout=httpx.Timeout(
                        connect=settings.connect_timeout_seconds,
                        read=settings.read_timeout_seconds,
                        write=settings.read_timeout_seconds,
                        pool=settings.connect_timeout_seconds,
                    ),
                    headers={"User-Agent": settings.user_agent},
                )
                self._clients[allow_private_network] = client
            return client

    # -- public API ----------------------------------------------------------------------------

    def fetch_for(
        self,
        source: Source,
        url: str,
        *,
        accept: str = PAGE_ACCEPT,
        allow_gzip: bool = False,
        conditional: bool = True,
    ) -> FetchResult:
        """:meth:`fetch` with the source's network policy and per-host rate limit."""
        return self.fetch(
            url,
            allow_private_network=source.allow_private_network,
            rate_limit_per_second=source.rate_limit_per_second,
            conditional=conditional,
            accept=accept,
            allow_gzip=allow_gzip,
        )

    def fetch(
        self,
        url: str,
        *,
        allow_private_network: bool = False,
        rate_limit_per_second: float = 1.0,
        conditional: bool = True,
        accept: str = PAGE_ACCEPT,
        allow_gzip: bool = False,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET ``url`` politely; raise a :class:`FetchError` subclass on any failure.

        With ``conditional`` the stored ETag / Last-Modified are sent and a 304 gives a result
        with ``not_modified=True`` and an empty body. Transient failures (timeouts, connection
        errors, 429, 5xx) are retried with exponential backoff and jitter; ``Retry-After`` on
        429/503 is honoured up to ``retry_after_cap_seconds`` (longer fails the item).
        """
        url = check_url(url)
        conditional = conditional and self.settings.conditional_get
        cap = max_bytes or self.settings.max_body_bytes
        validators = self.state.validators(url) if conditional else None
        headers = {"Accept": accept}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        attempt = deadline_misses = 0
        while True:
            try:
                hop, redirects = self._follow(
                    url, headers, allow_private_network, rate_limit_per_second, cap, allow_gzip
                )
                break
            except _Retryable as retry:
                delay = self._retry_delay(url, retry, attempt)
                if isinstance(retry.error, DeadlineExceededError):
                    # A server that drips its body will most likely drip again: one more try.
                    deadline_misses += 1
                    if self.pool is not None:
                        self.pool.record_deadline_miss(_host(retry.error.url))
                    if deadline_misses > self.settings.deadline_retries:
                        raise retry.error from None
                if attempt >= self.settings.max_retries:
                    raise retry.error from None
                attempt += 1
                log.info(
                    "%s: %s; retry %d/%d in %.2fs%s",
                    url,
                    retry.error.reason,
                    attempt,
                    self.settings.max_retries,
                    delay,
                    " (after Retry-After)" if retry.retry_after is not None else "",
                )
                if delay > 0:
                    self._sleep(delay)
        fetched_at = datetime.fromtimestamp(self._clock(), UTC)
        if hop.status == 304:
            if validators is None:
                raise HttpStatusError(url, "304 Not Modified to an unconditional request", 304)
            return FetchResult(
                url=url,
                final_url=hop.url,
                status=304,
                not_modified=True,
                body=b"",
                content_type=None,
                charset=None,
                fetched_at=fetched_at,
                etag=validators.etag,
                last_modified=validators.last_modified,
                redirects=redirects,
            )
        reason = binary_reason(hop.body, hop.content_type, allow_gzip=allow_gzip)
        if reason is not None:
            raise BinaryBodyError(url, reason)
        result = FetchResult(
            url=url,
            final_url=hop.url,
            status=hop.status,
            not_modified=False,
            body=hop.body,
            content_type=hop.content_type,
            charset=detect_charset(hop.body, header_charset(hop.content_type)),
            fetched_at=fetched_at,
            etag=hop.etag,
            last_modified=hop.last_modified,
            redirects=redirects,
        )
        if conditional:
            self._remember(
                StateMark.for_validators(
                    url, Validators(hop.etag, hop.last_modified, result.sha256)
                )
            )
        return result

    # -- held-back state writes ----------------------------------------------------------------

    def hold_state_marks(self) -> None:
        """From now on keep validators and read-file marks in memory instead of storing them.

        The caller stores them (:meth:`FetchState.apply`) once what was fetched is safely
        processed, so a failure downstream makes the next pass fetch the resource again
        instead of answering "unchanged".
        """
        with self._lock:
            if self._held is None:
                self._held = []

    def take_state_marks(self) -> list[StateMark]:
        """The marks held back so far (emptied by the call)."""
        with self._lock:
            held = self._held or []
            if self._held is not None:
                self._held = []
        return held

    def remember_file_seen(self, source_id: str, path: str, sha256: str) -> None:
        """Mark a dropped file as read with this content (held back, or stored at once)."""
        self._remember(StateMark.for_file(source_id, path, sha256))

    def _remember(self, mark: StateMark) -> None:
        with self._lock:
            if self._held is not None:
                self._held.append(mark)
                return
        self.state.apply(mark, self._clock())

    def robots_policy(
        self, url: str, *, allow_private_network: bool = False, rate_limit_per_second: float = 1.0
    ) -> RobotsPolicy:
        """The robots.txt policy of ``url``'s origin: cached in memory and in the state dir.

        2xx: the file's rules; 4xx: allow all; 5xx or 429: disallow all; unreachable (timeout,
        connection error, DNS failure): allow all. Errors are cached for a shorter time.
        """
        origin = _origin(url)
        now = self._clock()
        key = (origin, allow_private_network)
        with self._lock:
            cached = self._robots.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        stored = self.state.robots_policy(origin, now)
        if stored is not None:
            policy = decode_policy(stored)
            expires = now + self.settings.robots_error_ttl_seconds
        else:
            policy, ttl = self._download_robots(url, allow_private_network, rate_limit_per_second)
            expires = now + ttl
            self.state.store_robots_policy(origin, encode_policy(policy), expires)
        with self._lock:
            self._robots[key] = (policy, expires)
        return policy

    # -- internals -----------------------------------------------------------------------------

    def _retry_delay(self, url: str, retry: _Retryable, attempt: int) -> float:
        settings = self.settings
        if retry.retry_after is not None:
            if retry.retry_after > settings.retry_after_cap_seconds:
                status = retry.error.status if isinstance(retry.error, HttpStatusError) else 0
                self.limiter.defer(
                    _host(retry.error.url), self._clock() + settings.retry_after_cap_seconds
                )
                raise RetryAfterTooLongError(
                    url,
                    f"server asked to retry after {retry.retry_after:.0f}s, more than the "
                    f"{settings.retry_after_cap_seconds:.0f}s we wait",
                    status,
                ) from None
            # The limiter makes every task and process wait, not just this one.
            self.limiter.defer(_host(retry.error.url), self._clock() + retry.retry_after)
            return 0.0
        return backoff_delay(
            attempt + 1,
            initial=settings.backoff_base_seconds,
            maximum=settings.backoff_max_seconds,
            jitter=self._jitter,
        )

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        allow_private: bool,
        rate: float,
        cap: int,
        allow_gzip: bool,
    ) -> tuple[_Hop, tuple[str, ...]]:
        visited = [url]
        current = url
        for _ in range(self.settings.max_redirects + 1):
            if urlsplit(current).path != ROBOTS_PATH:
                policy = self.robots_policy(
                    current, allow_private_network=allow_private, rate_limit_per_second=rate
                )
                if not policy.is_allowed(current):
                    raise RobotsDisallowedError(current, "disallowed by robots.txt")
                self.limiter.acquire(_host(current), policy.rate_limit(rate))
            else:
                self.limiter.acquire(_host(current), rate)
            hop = self._request(current, headers, allow_private, cap)
            if hop.location is None:
                return hop, tuple(visited[1:])
            target = check_url(urljoin(current, hop.location))
            if target in visited:
                raise RedirectLoopError(url, f"redirect loop: {' -> '.join([*visited, target])}")
            visited.append(target)
            current = target
        raise TooManyRedirectsError(
            url, f"more than {self.settings.max_redirects} redirects: {' -> '.join(visited)}"
        )

    def _request(
        self,
        url: str,
        headers: dict[str, str],
        allow_private: bool,
        cap: int,
        *,
        truncate: bool = False,
    ) -> _Hop:
        client = self._client(allow_private)
        deadline = time.monotonic() + self.settings.request_deadline_seconds
        try:
            request = client.build_request("GET", url, headers=headers)
            # Every connect, read and write below waits at most until the deadline, whatever
            # the server's pace: the deadline is enforced inside each socket operation.
            with self._gate(url), request_deadline(deadline):
                response = client.send(request, stream=True)
                try:
                    return self._read_response(url, response, cap, deadline, truncate=truncate)
                finally:
                    response.close()
        except AddressBlocked as exc:
            raise BlockedAddressError(
                url,
                f"{exc}; refused (set allow_private_network: true for trusted local sources)",
            ) from None
        except ResolutionFailed as exc:
            raise ResolutionError(url, str(exc)) from None
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline - _DEADLINE_SLACK_SECONDS:
                raise _Retryable(self._deadline_error(url)) from None
            raise _Retryable(FetchTimeoutError(url, f"timed out ({type(exc).__name__})")) from None
        except httpx.TransportError as exc:
            if _is_tls_failure(exc):
                # A bad certificate does not get better by asking again.
                raise FetchConnectionError(url, f"TLS failure: {exc}") from None
            raise _Retryable(
                FetchConnectionError(url, f"connection failed: {type(exc).__name__}: {exc}")
            ) from None

    def _read_response(
        self, url: str, response: httpx.Response, cap: int, deadline: float, *, truncate: bool
    ) -> _Hop:
        status = response.status_code
        if status in _REDIRECT_STATUSES:
            location = response.headers.get("Location")
            if not location:
                raise HttpStatusError(url, f"HTTP {status} redirect without Location", status)
            return _Hop(status=status, url=url, location=location)
        if status == 304:
            return _Hop(status=304, url=url)
        if status >= 400:
            self._raise_status(url, response)
        if not 200 <= status < 300:
            raise HttpStatusError(url, f"unexpected HTTP status {status}", status)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap and not truncate:
            raise BodyTooLargeError(
                url, f"Content-Length {declared} exceeds the {cap}-byte cap; not downloaded"
            )
        chunks: list[bytes] = []
        size = 0
        # No chunk size: every piece is handed over as it arrives, so a drip is checked per piece.
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                if truncate:
                    chunks.append(chunk[: len(chunk) - (size - cap)])
                    break
                raise BodyTooLargeError(
                    url, f"body exceeds the {cap}-byte cap; cut off after {size} bytes"
                )
            if time.monotonic() > deadline:
                raise _Retryable(self._deadline_error(url))
            chunks.append(chunk)
        return _Hop(
            status=status,
            url=url,
            body=b"".join(chunks),
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )

    def _gate(self, url: str) -> AbstractContextManager[object]:
        """One of the pass's request slots (nothing to take without a pool)."""
        return self.pool.permit() if self.pool is not None else nullcontext()

    def _deadline_error(self, url: str) -> DeadlineExceededError:
        return DeadlineExceededError(
            url,
            f"request not complete within its {self.settings.request_deadline_seconds:g}s "
            "deadline (body included)",
        )

    def _raise_status(self, url: str, response: httpx.Response) -> NoReturn:
        status = response.status_code
        error = HttpStatusError(url, f"HTTP {status} {response.reason_phrase}".strip(), status)
        if status in _RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            raise _Retryable(error, retry_after)
        if status >= 500:
            raise _Retryable(error)
        raise error

    def _download_robots(
        self, url: str, allow_private: bool, rate: float
    ) -> tuple[RobotsPolicy, float]:
        """Fetch robots.txt once (no retries); returns the policy and how long to cache it."""
        settings = self.settings
        target = robots_url(url)
        visited: list[str] = []
        try:
            for _ in range(6):  # RFC 9309: follow at least five redirects
                visited.append(target)
                self.limiter.acquire(_host(target), rate)
                hop = self._request(
                    target,
                    {"Accept": "text/plain,*/*;q=0.5"},
                    allow_private,
                    settings.robots_max_bytes,
                    truncate=True,
                )
                if hop.location is None:
                    break
                target = check_url(urljoin(target, hop.location))
                if target in visited:
                    log.warning("robots.txt of %s: redirect loop; allowing all", url)
                    return ALLOW_ALL, settings.robots_error_ttl_seconds
            else:
                log.warning("robots.txt of %s: too many redirects; allowing all", url)
                return ALLOW_ALL, settings.robots_error_ttl_seconds
        except _Retryable as retry:
            if isinstance(retry.error, HttpStatusError):
                log.warning("robots.txt of %s: %s; disallowing all", url, retry.error.reason)
                return DISALLOW_ALL, settings.robots_error_ttl_seconds
            log.warning("robots.txt of %s unreachable (%s); allowing all", url, retry.error.reason)
            return ALLOW_ALL, settings.robots_error_ttl_seconds
        except HttpStatusError as exc:
            return policy_for_status(
                exc.status, "", settings.robots_token
            ), settings.robots_ttl_seconds
        except BlockedAddressError:
            raise
        except FetchError as exc:
            # Unreachable (DNS, TLS, broken body, bad redirect): allow, as the project decided.
            log.warning("robots.txt of %s unreachable (%s); allowing all", url, exc.reason)
            return ALLOW_ALL, settings.robots_error_ttl_seconds
        body = hop.body.decode(
            detect_charset(hop.body, header_charset(hop.content_type)), "replace"
        )
        return policy_for_status(
            hop.status, body, settings.robots_token
        ), settings.robots_ttl_seconds
