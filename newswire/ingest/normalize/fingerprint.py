"""Text fingerprints: the exact content hash and the MinHash near-duplicate signature."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from datasketch import MinHash

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
# Pinned: signatures are stored, and sketches of different schemes cannot be compared.
MINHASH_SCHEME = "affine32"


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


def near_duplicate_signature(
    text: str, *, num_perm: int, shingle_size: int, seed: int = 1
) -> tuple[int, ...]:
    """MinHash hash values over word shingles, as plain ints (JSON- and sqlite-friendly)."""
    minhash = minhash_of(text, num_perm=num_perm, shingle_size=shingle_size, seed=seed)
    return tuple(int(value) for value in minhash.hashvalues)


def minhash_from_signature(signature: Sequence[int], *, seed: int = 1) -> MinHash:
    """Rebuild a MinHash from stored hash values."""
    return MinHash(
        num_perm=len(signature), seed=seed, hashvalues=list(signature), scheme=MINHASH_SCHEME
    )
