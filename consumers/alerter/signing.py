"""HMAC-SHA256 webhook signatures: ``X-Newswire-Signature: t=<unix seconds>,v1=<hex>``.

The signed message is ``f"{t}.".encode() + body``: binding the timestamp lets a receiver refuse
replays older than its tolerance.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Newswire-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_TOLERANCE_SECONDS = 300.0


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The value of the signature header for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Whether ``header`` is a valid signature of ``body`` with ``secret``.

    When ``now`` is given, a timestamp further than ``tolerance_seconds`` from it is refused.
    A malformed header is simply not valid.
    """
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, IndexError, ValueError):
        return False
    if now is not None and abs(now - timestamp) > tolerance_seconds:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))
