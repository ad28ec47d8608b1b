"""Refusing private, loopback, link-local and reserved addresses at connection time.

The check runs inside httpcore's network backend: the host is resolved by us, every address is
checked, and the connection is made to a checked address. So redirects, robots.txt fetches and
DNS answers that change between check and connect (DNS rebinding) are all covered.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager

import httpcore
import httpx

Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses`` (textual IPs)."""

Connector = Callable[[str, int, float | None, Iterable[httpcore.SOCKET_OPTION] | None], object]


class AddressBlocked(Exception):  # noqa: N818 - internal signal, converted to BlockedAddressError
    """Raised inside the transport; the fetcher turns it into ``BlockedAddressError``."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to non-public address {address}")
        self.host = host
        self.address = address


class ResolutionFailed(Exception):  # noqa: N818 - internal signal, converted to ResolutionError
    """Raised inside the transport when a host does not resolve in time."""


_dns_pool: ThreadPoolExecutor | None = None
_dns_lock = threading.Lock()


def _dns_executor() -> ThreadPoolExecutor:
    global _dns_pool
    with _dns_lock:
        if _dns_pool is None:
            _dns_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="newswire-dns")
        return _dns_pool


def system_resolver(timeout: float) -> Resolver:
    """A resolver using the system's ``getaddrinfo``, bounded by ``timeout`` seconds."""

    def resolve(host: str, port: int) -> Sequence[str]:
        future = _dns_executor().submit(
            socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        try:
            infos = future.result(timeout=timeout)
        except FutureTimeout as exc:
            raise ResolutionFailed(f"resolving {host} took longer than {timeout}s") from exc
        except OSError as exc:
            raise ResolutionFailed(f"cannot resolve {host}: {exc}") from exc
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    return resolve


def is_public_address(address: str) -> bool:
    """Whether an IP address is globally routable unicast (not private, loopback, etc.)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            return is_public_address(str(ip.sixtofour))
    return bool(ip.is_global) and not ip.is_multicast


def _host_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


_deadlines = threading.local()


@contextmanager
def request_deadline(deadline: float) -> Iterator[None]:
    """Within the block, no network operation of this thread may outlast ``deadline``.

    ``deadline`` is a :func:`time.monotonic` instant. Every connect, read and write of a stream
    opened by :class:`GuardedNetworkBackend` uses ``min(its own timeout, time remaining)``, so a
    server that drips a byte a second cannot keep a request alive past its deadline.
    """
    previous = getattr(_deadlines, "value", None)
    _deadlines.value = deadline
    try:
        yield
    finally:
        _deadlines.value = previous


def remaining_timeout(timeout: float | None) -> float | None:
    """``timeout`` cut to what is left of this thread's request deadline (if one is set)."""
    deadline: float | None = getattr(_deadlines, "value", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("request deadline reached")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation is bounded by the thread's request deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read at most ``max_bytes``, waiting no longer than the deadline allows."""
        return self._inner.read(max_bytes, remaining_timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write ``buffer``, waiting no longer than the deadline allows."""
        self._inner.write(buffer, remaining_timeout(timeout))

    def close(self) -> None:
        """Close the underlying stream."""
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """Upgrade to TLS; the TLS stream keeps the deadline."""
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, remaining_timeout(timeout))
        )

    def get_extra_info(self, info: str) -> object:
        """Delegate (``ssl_object``, ``server_addr``, ``is_readable``...)."""
        return self._inner.get_extra_info(info)


class GuardedNetworkBackend(httpcore.NetworkBackend):
    """Resolves hosts itself, refuses non-public addresses unless allowed, connects to a checked one.

    ``connector`` opens the TCP stream to an already checked address; tests inject one that routes
    a public-looking address to their loopback server.
    """

    def __init__(
        self,
        resolver: Resolver,
        *,
        allow_private_network: bool,
        connector: Connector | None = None,
    ) -> None:
        self._resolver = resolver
        self._allow_private = allow_private_network
        self._inner = httpcore.SyncBackend()
        self._connector = connector

    def resolve_checked(self, host: str, port: int) -> list[str]:
        """The addresses of ``host``, all checked; raises ``AddressBlocked`` on a non-public one."""
        literal = _host_literal(host)
        addresses = [literal] if literal else list(self._resolver(host, port))
        if not addresses:
            raise ResolutionFailed(f"{host} has no addresses")
        if not self._allow_private:
            for address in addresses:
                if not is_public_address(address):
                    raise AddressBlocked(host, address)
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first reachable checked address of ``host``."""
        last_error: Exception | None = None
        for address in self.resolve_checked(host, port):
            try:
                if self._connector is not None:
                    stream = self._connector(
                        address, port, remaining_timeout(timeout), socket_options
                    )
                    assert isinstance(stream, httpcore.NetworkStream)
                    return DeadlineStream(stream)
                return DeadlineStream(
                    self._inner.connect_tcp(
                        address,
                        port,
                        remaining_timeout(timeout),
                        local_address=local_address,
                        socket_options=socket_options,
                    )
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Unix sockets are never used for fetching."""
        raise httpcore.ConnectError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        """Delegate to the synchronous backend."""
        self._inner.sleep(seconds)


_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the CA bundle is slow)."""
    global _ssl_context
    with _dns_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context(trust_env=False)
        return _ssl_context


class GuardedTransport(httpx.HTTPTransport):
    """An ``httpx`` transport whose connections go through :class:`GuardedNetworkBackend`."""

    def __init__(
        self,
        backend: GuardedNetworkBackend,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 20,
    ) -> None:
        ssl_context = ssl_context or shared_ssl_context()
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )
