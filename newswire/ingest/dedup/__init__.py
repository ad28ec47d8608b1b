"""De-duplication in layers: same URL, same content hash, near-duplicate (MinHash LSH)."""

from newswire.ingest.dedup.index import DedupDecision, DedupError, SeenIndex, Verdict

__all__ = ["DedupDecision", "DedupError", "SeenIndex", "Verdict"]
