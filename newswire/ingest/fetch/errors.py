"""Fetch failures: one error type per reason, each carrying the URL and a readable reason."""

from __future__ import annotations

from typing import ClassVar

from newswire.errors import NewswireError


class FetchError(NewswireError):
    """A URL (or item) that could not be fetched or read; the run goes on without it."""

    always_transient: ClassVar[bool] = False

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason

    @property
    def transient(self) -> bool:
        """Whether a later pass may well succeed (network trouble, an overloaded server)."""
        return self.always_transient


class InvalidUrlError(FetchError):
    """The URL is not an absolute http(s) URL."""


class BlockedAddressError(FetchError):
    """The host resolves to a private, loopback, link-local or reserved address."""


class ResolutionError(FetchError):
    """The host name could not be resolved (or not in time)."""

    always_transient = True


class RobotsDisallowedError(FetchError):
    """robots.txt does not allow our user agent to fetch this URL."""


class FetchTimeoutError(FetchError):
    """Connecting, reading, or the whole request took longer than allowed."""

    always_transient = True


class DeadlineExceededError(FetchTimeoutError):
    """The whole request, body included, did not finish by its deadline (e.g. a slow drip).

    Retried at most once in a pass; the item is then left for the next pass.
    """


class DeferredError(FetchError):
    """The item was not fetched in this pass (time budget spent, host kept missing deadlines).

    Nothing about it is marked seen, so the next pass fetches it.
    """

    always_transient = True


class FetchConnectionError(FetchError):
    """The connection failed or broke."""

    always_transient = True


class HttpStatusError(FetchError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, url: str, reason: str, status: int) -> None:
        super().__init__(url, reason)
        self.status = status

    @property
    def transient(self) -> bool:
        """For 408, 425, 429 and 5xx answers: the server may answer later."""
        return self.status in {408, 425, 429} or self.status >= 500


class RetryAfterTooLongError(HttpStatusError):
    """The server asked us to come back later than we are willing to wait."""


class TooManyRedirectsError(FetchError):
    """More redirect hops than allowed, or a redirect loop."""


class RedirectLoopError(TooManyRedirectsError):
    """A redirect pointed back at a URL already visited in this request."""


class BodyTooLargeError(FetchError):
    """The body is larger than the size cap; it was cut off and discarded."""


class BinaryBodyError(FetchError):
    """The body is binary (image, archive, PDF...), not a text document."""


class DocumentParseError(FetchError):
    """A feed, sitemap, listing or API response could not be parsed."""


class UnsafeXmlError(DocumentParseError):
    """An XML document uses entity declarations or external references (e.g. an XML bomb)."""


class SourceReadError(FetchError):
    """A source-level problem, such as a filedrop folder that does not exist."""

    always_transient = True
