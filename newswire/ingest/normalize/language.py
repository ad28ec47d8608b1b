"""Language identification with py3langid (model loaded once per process)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,3}$")
_SAMPLE_CHARS = 2000


@lru_cache(maxsize=1)
def _identifier() -> Any:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float]:
    """The most likely ISO 639 language of a text and its (normalized) probability.

    Returns ``(None, 0.0)`` for a text without letters.
    """
    sample = text[:_SAMPLE_CHARS]
    if not any(char.isalpha() for char in sample):
        return None, 0.0
    language, confidence = _identifier().classify(sample)
    code = str(language).lower()
    if not _LANGUAGE_CODE_RE.match(code):
        return None, 0.0
    return code, max(0.0, min(1.0, float(confidence)))


def normalize_language_hint(hint: str | None) -> str | None:
    """A catalogue or feed language hint (``en-GB``, ``EN``) as an ISO code, if it is one."""
    if not hint:
        return None
    code = hint.strip().lower().replace("_", "-").split("-")[0]
    return code if _LANGUAGE_CODE_RE.match(code) else None
