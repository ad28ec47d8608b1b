"""Errors of the consumer runtime and the ones handlers raise to steer it."""

from __future__ import annotations

from collections.abc import Mapping

from consumers.runtime.records import Outcome
from newswire.errors import NewswireError


class ConsumerError(NewswireError):
    """The consumer cannot go on (Kafka unreachable, retries exhausted, a handler bug)."""


class RetryableError(NewswireError):
    """The sink cannot take the batch now; retry it later.

    ``settled`` maps positions in the batch given to ``handle`` to outcomes that are already
    final (for instance the items of a bulk request that succeeded): only the other records are
    handed to the handler again.
    """

    def __init__(self, message: str, settled: Mapping[int, Outcome] | None = None) -> None:
        super().__init__(message)
        self.settled: dict[int, Outcome] = dict(settled or {})


class SinkBusy(RetryableError):  # noqa: N818 -- the name the handler protocol documents
    """The sink pushes back (HTTP 429/503, a full queue, a timeout): pause and retry later."""


class HandlerContractError(ConsumerError):
    """A handler returned a number of outcomes different from the records it was given."""
