"""The root of newswire's own error types."""


class NewswireError(Exception):
    """Base class of every error newswire raises on purpose."""
