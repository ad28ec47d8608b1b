"""Text fingerprints: the exact content hash and the MinHash near-duplicate signature."""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from datasketch import MinHash

_WORD_RE = re.compile(r"\w+", re.UNICODE)
# In ASCII text a word is a run of these characters (what \w matches there); every other ASCII
# character becomes a space, so that splitting on spaces gives the same words, faster.
_ASCII_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_")
_ASCII_NON_WORD_TO_SPACE = str.maketrans(
    {code: " " for code in range(128) if chr(code) not in _ASCII_WORD_CHARS}
)
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# The characters of that class other than the plain space.
_ODD_SPACES = ("\t", "\u00a0", *map(chr, range(0x2000, 0x200C)), "\u202f", "\u205f", "\u3000")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
# Pinned: signatures are stored, and sketches of different schemes cannot be compared.
MINHASH_SCHEME = "affine32"
_U32 = np.uint32
# The MurmurHash3 32-bit finalizer that the affine32 scheme applies to each input hash once.
_FMIX_SHIFT_1, _FMIX_MUL_1 = _U32(16), _U32(0x85EBCA6B)
_FMIX_SHIFT_2, _FMIX_MUL_2 = _U32(13), _U32(0xC2B2AE35)
_FMIX_SHIFT_3 = _U32(16)
_EMPTY_HASH = (1 << 32) - 1
_SPACE_BYTE = ord(" ")


def _has_space_to_collapse(text: str) -> bool:
    """Whether collapsing space runs would change the text (a run of two, or a tab, NBSP...)."""
    if "  " in text:
        return True
    if text.isascii():
        return "\t" in text
    return any(space in text for space in _ODD_SPACES)


def normalize_text(text: str) -> str:
    """Unicode NFC, one space between words, no trailing spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00ad", "").replace("\ufeff", "")
    # The space class holds no newline, so runs never span lines: one pass over the whole text,
    # and none when every run is already a single space (scanning costs more than the checks).
    if _has_space_to_collapse(text):
        text = _SPACES_RE.sub(" ", text)
    text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip()


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the normalized text."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def words(text: str) -> list[str]:
    r"""Lowercased word tokens of a text (runs of word characters, ``\w``)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered.translate(_ASCII_NON_WORD_TO_SPACE).split()
    return _WORD_RE.findall(lowered)


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


def _shingle_bytes(text: str, size: int) -> list[bytes]:
    """:func:`word_shingles` UTF-8 encoded, sliced out of one encoded string (no joins).

    A shingle that occurs more than once is listed as often: the MinHash is a minimum, which
    repeats do not change, and skipping the de-duplication is cheaper than doing it.
    """
    tokens = words(text)
    if not tokens:
        return []
    joined = " ".join(tokens).encode("utf-8")
    if len(tokens) <= size:
        return [joined]
    # Words hold no space and a space byte is never part of a multi-byte UTF-8 character: the
    # space bytes separate the words.
    spaces = np.flatnonzero(np.frombuffer(joined, dtype=np.uint8) == _SPACE_BYTE)
    starts = [0, *(spaces + 1).tolist()]
    ends = [*spaces.tolist(), len(joined)]
    return [joined[start:end] for start, end in zip(starts, ends[size - 1 :], strict=False)]


def _shingle_hashes(shingles: list[bytes]) -> npt.NDArray[np.uint32]:
    """The 32-bit SHA-1 hash of each shingle (datasketch's ``sha1_hash32``), as one array."""
    sha1 = hashlib.sha1
    # The first 4 bytes of each 20-byte digest, little-endian (every fifth 32-bit word).
    digests = b"".join([sha1(shingle).digest() for shingle in shingles])
    return np.frombuffer(digests, dtype="<u4")[::5].astype(_U32)


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
    permuted = np.multiply.outer(hv, a)
    permuted += b
    return tuple(permuted.min(axis=0).tolist())


def minhash_from_signature(signature: Sequence[int], *, seed: int = 1) -> MinHash:
    """Rebuild a MinHash from stored hash values."""
    return MinHash(
        num_perm=len(signature), seed=seed, hashvalues=list(signature), scheme=MINHASH_SCHEME
    )
