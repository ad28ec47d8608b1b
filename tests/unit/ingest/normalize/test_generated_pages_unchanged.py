"""The faster normalization gives byte-identical results on the benchmark's generated pages.

The digests were recorded with the code before the CPU work of issue 14 (the main text, which the
181-page quality check scores, and the whole ``NormalizedArticle`` line: dates, authors, language
and its probability, hashes, MinHash). Any change to what normalization produces for these pages
fails here, naming the page and whether the main text itself moved.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from newswire.ingest.normalize import NormalizeOptions, normalize_document, normalize_file_bytes
from schemas.documents import FetchedDocument, SourceKind

ROOT = Path(__file__).resolve().parents[4]
DIGESTS = ROOT / "tests" / "fixtures" / "ingest" / "normalize" / "generated_pages_digests.json"
FETCHED_AT = datetime(2026, 12, 1, tzinfo=UTC)


def _news_pages() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_news_pages", ROOT / "benchmarks" / "news_pages.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.slow
def test_generated_pages_normalize_exactly_as_before() -> None:
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))["pages"]
    pages = _news_pages().make_pages(len(expected))
    options = NormalizeOptions()
    changed: list[str] = []
    for number, (page, digests) in enumerate(zip(pages, expected, strict=True)):
        as_file = normalize_file_bytes(
            page.html,
            file_name=f"page-{number:05d}.html",
            source_id="bench",
            fetched_at=FETCHED_AT,
            options=options,
        )
        document = FetchedDocument(
            source_id="bench",
            source_kind=SourceKind.SITEMAP,
            url=page.url,
            body_path="x",
            body_sha256="0" * 64,
            content_type="text/html",
            fetched_at=FETCHED_AT,
        )
        as_document = normalize_document(document, page.html, options)
        for kind, article, (text_digest, line_digest) in (
            ("file", as_file, digests[0:2]),
            ("document", as_document, digests[2:4]),
        ):
            if _sha256(article.text) != text_digest:
                changed.append(f"page {number} ({kind}): the main text changed")
            elif _sha256(article.model_dump_json()) != line_digest:
                changed.append(f"page {number} ({kind}): a field other than the text changed")
    assert not changed, "\n".join(changed)
