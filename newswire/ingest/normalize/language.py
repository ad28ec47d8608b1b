"""Language identification with py3langid (model loaded once per process).

py3langid walks its byte-level feature automaton one byte at a time in Python, which is most of
the cost of identifying an article's language. :class:`_VectorizedIdentifier` computes the same
automaton states for all bytes at once with numpy and hands py3langid the same feature counts
(same features, same order), so languages and probabilities are exactly py3langid's.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from py3langid.langid import MODEL_FILE, LanguageIdentifier

_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,3}$")
_SAMPLE_CHARS = 2000
# The model's automaton recognises byte n-grams, so the state after a byte depends on the last few
# bytes only: walking this many bytes from the start state at every position gives the state of
# the full walk. Each walk is checked against the automaton (see _feature_states) and the byte
# loop is used instead should a model ever need a longer window.
_WINDOW_BYTES = 5

IntArray = npt.NDArray[np.intp]


class _VectorizedIdentifier(LanguageIdentifier):  # type: ignore[misc]
    """py3langid's identifier with the automaton walk done by numpy (identical results)."""

    __slots__ = ("_np_nextmove", "_np_output", "_np_rowbase", "_ptc32")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The transition table (tens of MB) moved into numpy's memory, which Linux backs with huge
        # pages: the walk's scattered reads then miss the TLB far less. py3langid's own byte loop
        # (the fallback) reads the same table.
        model: Any = self  # py3langid's own attributes (untyped, declared in its __slots__)
        table = model.tk_nextmove
        self._np_nextmove: npt.NDArray[Any] = np.array(
            np.frombuffer(table, dtype=np.dtype(table.typecode))
        )
        model.tk_nextmove = self._np_nextmove
        self._np_rowbase: IntArray = np.asarray(self._rowbase, dtype=np.intp)
        self._np_output: IntArray = np.asarray(self.tk_output, dtype=np.intp)
        # The float16 table as the float32 values the scoring product casts it to, once per
        # process instead of on every call.
        self._ptc32: npt.NDArray[np.float32] = np.asarray(self.nb_ptc, dtype=np.float32)

    def _feature_states(self, data: bytes) -> IntArray | None:
        """The automaton state after each byte, or ``None`` if the window does not suffice."""
        codes = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
        count = len(codes)
        states = np.zeros(count, dtype=np.intp)
        nextmove, rowbase = self._np_nextmove, self._np_rowbase
        for back in range(min(_WINDOW_BYTES, count) - 1, -1, -1):
            states[back:] = nextmove[rowbase[states[back:]] + codes[: count - back]]
        # The first state is the start state's move on the first byte by construction; if every
        # later state is its predecessor's move on its byte, these are the full walk's states.
        if count > 1 and not np.array_equal(states[1:], nextmove[rowbase[states[:-1]] + codes[1:]]):
            return None
        return states

    def _raw_score(self, text: bytes) -> Any:
        states = self._feature_states(text)
        if states is None or self.nb_ptc is not self._full_model[0]:  # (set_languages: unused)
            return super()._raw_score(text)
        features = self._np_output[states]
        features = features[features >= 0]
        if not len(features):
            return super()._raw_score(text)
        # py3langid counts features in a Counter (keys in order of first occurrence) and scores
        # them as below (LanguageIdentifier._sparse_score): the same values in the same order.
        unique, first, counts = np.unique(features, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        index = unique[order]
        weights = np.log1p(counts[order].astype(np.float32))
        return weights @ self._ptc32[index] + self.nb_pc


@lru_cache(maxsize=1)
def _identifier() -> Any:
    return _VectorizedIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


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
