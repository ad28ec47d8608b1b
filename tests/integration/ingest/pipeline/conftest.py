"""Reading records back from the real topics, and the loopback news site.

The site and the topic reader are the DAG tests' (``tests/integration/dags/conftest.py``), loaded
from that file so both suites fetch exactly the same pages, feeds and API.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newswire.settings import KafkaSettings
from schemas.topics import ARTICLES, EVENTS

_SITE_MODULE_PATH = Path(__file__).resolve().parents[2] / "dags" / "conftest.py"
_spec = importlib.util.spec_from_file_location("newswire_test_news_site", _SITE_MODULE_PATH)
assert _spec is not None and _spec.loader is not None
_site_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _site_module  # dataclasses look their module up while decorating
_spec.loader.exec_module(_site_module)
news_site = _site_module.news_site
TopicTail = _site_module.TopicTail
every_kind_catalogue = _site_module.every_kind_catalogue


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
