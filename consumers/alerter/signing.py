"""Webhook signatures: ours, the default, and Standard Webhooks.

Ours is ``X-Newswire-Signature: t=<unix seconds>,v1=<hex>``. The signed message is ``f"{t}.".encode() + body``: binding the timestamp lets a receiver refuse
replays older than its tolerance.
"""

from __future__ import annotations

import base64
import binascii
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


# Standard Webhooks (https://www.standardwebhooks.com): the signed content is
# ``f"{id}.{timestamp}.{body}"``, the key is the base64 part of a ``whsec_`` secret, and the
# signature header holds space-separated ``v1,<base64 HMAC-SHA256>`` values.
STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
STANDARD_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def standard_webhooks_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret; raises ValueError when it is not one."""
    if not secret.startswith(STANDARD_SECRET_PREFIX):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    encoded = secret[len(STANDARD_SECRET_PREFIX) :]
    try:
        # Unpadded base64 is common in the wild: pad it.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a Standard Webhooks secret is whsec_ followed by base64") from exc
    if len(key) < 16:
        raise ValueError("a Standard Webhooks secret needs at least 16 bytes of key")
    return key


def standard_webhooks_headers(
    key: bytes, message_id: str, body: bytes, timestamp: int
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``timestamp`` (unix seconds)."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return {
        STANDARD_ID_HEADER: message_id,
        STANDARD_TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: "v1," + base64.b64encode(digest).decode("ascii"),
    }
