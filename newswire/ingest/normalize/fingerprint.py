"""Text fingerprints: the exact content hash and the MinHash near-duplicate signature."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from datasketch import MinHash

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
# Pinned: signatures are stored, and sketches of different schemes cannot be compared.
MINHASH_SCHEME = "affine32"
_U32 = np.uint32
# The MurmurHash3 32-bit finalizer that the affine32 scheme applies to each input hash once.
_FMIX_SHIFT_1, _FMIX_MUL_1 = _U32(16), _U32(0x85EBCA6B)
_FMIX_SHIFT_2, _FMIX_MUL_2 = _U32(13), _U32(0xC2B2AE35)
_FMIX_SHIFT_3 = _U32(16)
_EMPTY_HASH = (1 << 32) - 1


def normalize_text(text: str) -> str:
    """Unicode NFC, one space between words, no trailing spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00ad", "").replace("\ufeff", "")
    lines = [_SPACES_RE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the normalized text."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def words(text: str) -> list[str]:
    """Lowercased word tokens of a text."""
    return _WORD_RE.findall(text.lower())


def word_shingles(text: str, size: int) -> set[str]:
    """The set of ``size``-word shingles of a text (one shingle when the text is shorter)."""
    tokens = words(text)
    if not tokens:
        return set()
    if len(tokens) <= size:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def minhash_of(text: str, *, num_perm: int, shingle_size: int, seed: int = 1) -> MinHash:
    """The MinHash of the text's word shingles."""
    minhash = MinHash(num_perm=num_perm, seed=seed, scheme=MINHASH_SCHEME)
    minhash.update_batch([shingle.encode("utf-8") for shingle in word_shingles(text, shingle_size)])
    return minhash


@lru_cache(maxsize=8)
def _permutations(
    num_perm: int, seed: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The affine permutations ``(a, b)`` a datasketch MinHash of this size and seed uses."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=MINHASH_SCHEME).permutations
    return np.asarray(a, dtype=_U32), np.asarray(b, dtype=_U32)


def _shingle_bytes(text: str, size: int) -> set[bytes]:
    """:func:`word_shingles` UTF-8 encoded, sliced out of one encoded string (no joins)."""
    tokens = words(text)
    if not tokens:
        return set()
    joined = " ".join(tokens).encode("utf-8")
    if len(tokens) <= size:
        return {joined}
    if len(joined) == sum(map(len, tokens)) + len(tokens) - 1:
        lengths = [len(token) for token in tokens]  # all ASCII: characters are bytes
    else:
        lengths = [len(token.encode("utf-8")) for token in tokens]
    starts = [0] * len(tokens)
    for index in range(1, len(tokens)):
        starts[index] = starts[index - 1] + lengths[index - 1] + 1
    last = size - 1
    return {
        joined[start : starts[index + last] + lengths[index + last]]
        for index, start in enumerate(starts[: len(tokens) - last])
    }


def _shingle_hashes(shingles: set[bytes]) -> npt.NDArray[np.uint32]:
    """The 32-bit SHA-1 hash of each shingle (datasketch's ``sha1_hash32``), as one array."""
    sha1 = hashlib.sha1
    digests = b"".join([sha1(shingle).digest()[:4] for shingle in shingles])
    return np.frombuffer(digests, dtype="<u4").astype(_U32)


def near_duplicate_signature(
    text: str, *, num_perm: int, shingle_size: int, seed: int = 1
) -> tuple[int, ...]:
    """MinHash hash values over word shingles, as plain ints (JSON- and sqlite-friendly).

    The same values as :func:`minhash_of` (datasketch's affine32 scheme), computed at once for
    all shingles and permutations with numpy, the permutations built once per size and seed.
    """
    shingles = _shingle_bytes(text, shingle_size)
    if not shingles:
        return (_EMPTY_HASH,) * num_perm
    a, b = _permutations(num_perm, seed)
    hv = _shingle_hashes(shingles)
    hv = hv ^ (hv >> _FMIX_SHIFT_1)
    hv = hv * _FMIX_MUL_1
    hv = hv ^ (hv >> _FMIX_SHIFT_2)
    hv = hv * _FMIX_MUL_2
    hv = hv ^ (hv >> _FMIX_SHIFT_3)
    # One row per shingle, one column per permutation; uint32 arithmetic wraps modulo 2**32.
    permuted = hv.reshape(-1, 1) * a + b
    return tuple(permuted.min(axis=0).tolist())


def minhash_from_signature(signature: Sequence[int], *, seed: int = 1) -> MinHash:
    """Rebuild a MinHash from stored hash values."""
    return MinHash(
        num_perm=len(signature), seed=seed, hashvalues=list(signature), scheme=MINHASH_SCHEME
    )
