"""A task that fails for good loses nothing: the next pass fetches or delivers what it missed.

Validators and read-file marks are held back by the fetch task and stored by the normalize
task once the documents are recorded; publishing sends what an earlier publish could not. The
pages come from the loopback news site, the articles go to the real Kafka broker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from newswire_testing.newssite import NewsSite
from newswire_testing.topics import TopicTail

import newswire.ingest.normalize as normalize_module
import newswire.ingest.normalize.batch as normalize_batch
from newswire.ingest.fetch import FetchPool, FetchSettings
from newswire.ingest.normalize import NormalizeError
from newswire.ingest.pipeline import (
    fetch_source,
    normalize_source,
    publish_source,
    read_articles,
)
from newswire.ingest.settings import IngestSettings
from newswire.settings import KafkaSettings
from newswire.transport.kafka import PublishError, RecordPublisher
from schemas.articles import NormalizedArticle
from schemas.base import stable_id
from schemas.topics import ARTICLES, TopicSpec

pytestmark = pytest.mark.integration


class Pass:
    """Runs the task functions of one source, one run id per call, in a private state dir."""

    def __init__(self, tmp_path: Path, source: dict[str, Any], kafka: KafkaSettings) -> None:
        self.catalogue = tmp_path / "catalogue.yaml"
        source = {**source, "allow_private_network": True, "rate_limit_per_second": 50.0}
        self.catalogue.write_text(yaml.safe_dump({"sources": [source]}), encoding="utf-8")
        self.source_id = str(source["id"])
        self.settings = IngestSettings(state_dir=tmp_path / "state")
        self.kafka = kafka
        self.runs = 0

    def fetch(self) -> tuple[str, str, int]:
        """Fetch with a new run id; returns (run id, fetched file, documents fetched)."""
        self.runs += 1
        run_id = f"run-{self.runs}"
        pool = FetchPool(FetchSettings())  # one per run, as in a DAG task
        outcome = fetch_source(
            self.source_id, self.catalogue, run_id=run_id, settings=self.settings, pool=pool
        )
        return run_id, outcome.path, outcome.documents

    def normalize(self, run_id: str, fetched: str) -> str:
        return normalize_source(fetched, run_id=run_id, settings=self.settings).path

    def publish(self, run_id: str, accepted: str) -> list[NormalizedArticle]:
        """The DAG's publish task; returns what it handed to event extraction."""
        published = publish_source(
            accepted, run_id=run_id, settings=self.settings, kafka_settings=self.kafka
        )
        return list(read_articles([published]))


@pytest.fixture
def one_source(
    tmp_path: Path, kafka_settings: KafkaSettings, unique_suffix: str
) -> Callable[..., Pass]:
    """A one-source ingest over the loopback site (publishing to the broker of the stack)."""

    def make(kind: str, url: str | None, **options: Any) -> Pass:
        source = {"id": f"lost-{kind}-{unique_suffix}", "kind": kind, **options}
        if url is not None:
            source["url"] = url
        return Pass(tmp_path, source, kafka_settings)

    return make


@pytest.fixture
def failing_normalize(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, type], None]:
    """Makes normalizing documents whose URL (or file) contains a marker raise the given error.

    ``monkeypatch.undo()`` in the test ends the failures.
    """
    real = normalize_module.normalize_document

    def arm(marker: str, error: type) -> None:
        def normalize(document: Any, body: bytes, options: Any) -> NormalizedArticle:
            if marker in (document.url or document.body_path):
                raise error(f"{document.url or document.body_path}: injected failure")
            return real(document, body, options)

        # The pass normalizes through the batch module (in process for a handful of documents).
        monkeypatch.setattr(normalize_batch, "normalize_document", normalize)

    return arm


def _bodies(site: NewsSite, *paths: str) -> list[int]:
    return [site.full_bodies[path] for path in paths]


def test_a_normalize_task_that_crashed_leaves_the_feed_and_page_to_be_fetched_again(
    news_site: NewsSite,
    one_source: Callable[..., Pass],
    failing_normalize: Callable[[str, type], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest = one_source("rss", f"{news_site.base_url}/feed.rss")
    paths = ("/feed.rss", "/pages/harbor-bridge.html")
    before = _bodies(news_site, *paths)

    run_id, fetched, documents = ingest.fetch()
    assert documents == 1
    failing_normalize("harbor-bridge", RuntimeError)  # the worker dies: not an item error
    with pytest.raises(RuntimeError, match="injected failure"):
        ingest.normalize(run_id, fetched)
    monkeypatch.undo()

    # Nothing was marked as seen, so the next pass downloads both bodies again.
    run_id, fetched, documents = ingest.fetch()
    assert documents == 1
    assert _bodies(news_site, *paths) == [before[0] + 2, before[1] + 2]
    [article] = read_articles([ingest.normalize(run_id, fetched)])
    assert article.title == "Harbor bridge reopens after two-year repair"

    # Now recorded: the pass after that gets 304s and fetches nothing.
    _, _, documents = ingest.fetch()
    assert documents == 0
    assert _bodies(news_site, *paths) == [before[0] + 2, before[1] + 2]


def test_an_item_that_failed_to_normalize_is_read_again_through_its_listing(
    news_site: NewsSite,
    one_source: Callable[..., Pass],
    failing_normalize: Callable[[str, type], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest = one_source(
        "html",
        f"{news_site.base_url}/transport",
        html={"follow_links": True, "link_pattern": "/pages/"},
    )
    paths = ("/transport", "/pages/rail-strike.html")
    before = _bodies(news_site, *paths)

    run_id, fetched, documents = ingest.fetch()
    assert documents == 1
    failing_normalize("rail-strike", NormalizeError)  # an item error: the pass goes on
    outcome = normalize_source(fetched, run_id=run_id, settings=ingest.settings)
    assert (outcome.accepted, outcome.errors) == (0, 1)
    monkeypatch.undo()

    # Had the listing answered 304, the page would never be seen again: both come in full.
    run_id, fetched, documents = ingest.fetch()
    assert documents == 1
    assert _bodies(news_site, *paths) == [before[0] + 2, before[1] + 2]
    [article] = read_articles([ingest.normalize(run_id, fetched)])
    assert article.title.startswith("Rail workers call off weekend strike")

    _, _, documents = ingest.fetch()
    assert documents == 0
    assert _bodies(news_site, *paths) == [before[0] + 2, before[1] + 2]


def test_only_the_dropped_file_that_failed_is_read_again(
    seeds_dir: Path,
    tmp_path: Path,
    one_source: Callable[..., Pass],
    failing_normalize: Callable[[str, type], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest = one_source("filedrop", None, path=str(seeds_dir))
    seeds = sorted(path.name for path in seeds_dir.iterdir())

    run_id, fetched, documents = ingest.fetch()
    assert documents == len(seeds)
    failing_normalize(seeds[0], NormalizeError)
    outcome = normalize_source(fetched, run_id=run_id, settings=ingest.settings)
    assert (outcome.accepted, outcome.errors) == (len(seeds) - 1, 1)
    monkeypatch.undo()

    run_id, fetched, documents = ingest.fetch()
    assert documents == 1
    [article] = read_articles([ingest.normalize(run_id, fetched)])
    assert article.id == stable_id(ingest.source_id, seeds[0])
    _, _, documents = ingest.fetch()
    assert documents == 0


def test_articles_a_failed_publish_left_behind_go_out_with_the_next_publish(
    news_site: NewsSite,
    one_source: Callable[..., Pass],
    kafka_settings: KafkaSettings,
    topic_tail: Callable[[TopicSpec], TopicTail[NormalizedArticle]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest = one_source("atom", f"{news_site.base_url}/feed.atom")
    tail = topic_tail(ARTICLES)

    run_id, fetched, _ = ingest.fetch()
    accepted = ingest.normalize(run_id, fetched)

    def broker_down(*args: Any, **kwargs: Any) -> int:
        raise PublishError("injected: the broker is unreachable")

    monkeypatch.setattr(RecordPublisher, "publish", broker_down)
    with pytest.raises(PublishError):
        ingest.publish(run_id, accepted)
    monkeypatch.undo()

    # The next pass fetches nothing new (the page was recorded), yet publishes the article,
    # and hands it to event extraction.
    run_id, fetched, documents = ingest.fetch()
    assert documents == 0
    handed_on = ingest.publish(run_id, ingest.normalize(run_id, fetched))
    sent = [a for _, a in tail.appended() if a.source_id == ingest.source_id]
    assert [a.title for a in sent] == ["Grain export talks resume in Istanbul"]
    assert handed_on == sent

    # Delivered once: the pass after that sends nothing.
    tail.mark()
    run_id, fetched, _ = ingest.fetch()
    assert ingest.publish(run_id, ingest.normalize(run_id, fetched)) == []
    assert [a for _, a in tail.appended() if a.source_id == ingest.source_id] == []
