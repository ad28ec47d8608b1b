"""The alerter's own error types."""

from __future__ import annotations

from newswire.errors import NewswireError


class AlerterError(NewswireError):
    """Base of the alerter's errors."""


class SubscriptionError(AlerterError):
    """A subscriptions file is invalid; the message names the file and the subscription."""


class StoreError(AlerterError):
    """The development store or the outbox could not be read or written."""


class StoreConflictError(StoreError):
    """Another process changed a development between our read and our write."""


class DeliveryError(AlerterError):
    """One delivery attempt failed; the outbox retries it with backoff until the give-up age."""


class ChannelConfigError(AlerterError):
    """A channel cannot be built from its options (unknown type, missing secret)."""
