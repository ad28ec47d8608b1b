"""Reading records back from the real topics; the news site comes from the test-support plugin.

The site and the topic reader are shared with the DAG tests (``newswire_testing.newssite``), so
both suites fetch exactly the same pages, feeds and API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from newswire_testing.newssite import TopicTail

from newswire.settings import KafkaSettings
from schemas.topics import ARTICLES, EVENTS

PAGES = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "pages"


@pytest.fixture
def articles_tail(kafka_settings: KafkaSettings) -> Iterator[Callable[[], Any]]:
    opened: list[Any] = []

    def open_tail() -> Any:
        tail = TopicTail(kafka_settings, ARTICLES)
        opened.append(tail)
        return tail

    yield open_tail
    for tail in opened:
        tail.close()


@pytest.fixture
def events_tail(kafka_settings: KafkaSettings) -> Iterator[Any]:
    tail = TopicTail(kafka_settings, EVENTS)
    try:
        yield tail
    finally:
        tail.close()


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
