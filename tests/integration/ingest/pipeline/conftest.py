"""A near-duplicate copy of a fixture page; the news site and the topic tails are the plugin's.

The site and the topic tails are shared with the DAG tests (``newswire_testing``), so both
suites fetch exactly the same pages, feeds and API and read the topics the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PAGES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "pages"


@pytest.fixture
def syndicated_copy(tmp_path: Path) -> Path:
    """The wire story of ``wire-grain-deal.html`` as another outlet ran it.

    A new headline and dateline, the last paragraph cut: a near duplicate, not the same text.
    """
    html = (PAGES / "wire-grain-deal.html").read_text(encoding="utf-8")
    html = html.replace(
        "Grain export talks resume in Istanbul", "Black Sea grain deal back on table"
    )
    html = html.replace("ISTANBUL (Wire) -", "ISTANBUL, Sept 4 -")
    start = html.index("<p>The United Nations secretary general")
    end = html.index("</p>", start) + len("</p>")
    path = tmp_path / "copy" / "black-sea-grain.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html[:start] + html[end:], encoding="utf-8")
    return path
