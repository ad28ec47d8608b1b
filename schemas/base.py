"""The base class every contract derives from."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A frozen, strict record with no unknown fields.

    Subclasses declare ``schema_version`` as a ``Literal`` so that a consumer rejects a payload
    written for a version it does not understand instead of guessing.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid", use_enum_values=False)


def stable_id(*parts: str, length: int = 32) -> str:
    """Return a deterministic hexadecimal id for the given parts.

    The parts are joined with a unit separator so that ``("ab", "c")`` and ``("a", "bc")`` differ.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]
