"""Delivery: publishing accepted articles and their events to Kafka, or writing them to a file."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswire.errors import NewswireError
from newswire.fsutil import write_lines_atomically
from newswire.ingest.pipeline.runs import IngestError, RunFiles, open_seen_index, read_articles
from newswire.ingest.settings import IngestSettings
from newswire.logs import bound
from schemas.articles import NormalizedArticle

if TYPE_CHECKING:
    from newswire.extract.settings import ExtractSettings
    from newswire.ingest.dedup import SeenIndex
    from newswire.settings import KafkaSettings


log = logging.getLogger(__name__)


def _with_current_counts(
    articles: list[NormalizedArticle], index: SeenIndex
) -> list[NormalizedArticle]:
    """The articles with ``source_count`` as the index knows it now (copies seen meanwhile)."""
    counts = index.source_counts(article.id for article in articles)
    return [
        article.model_copy(update={"source_count": counts[article.id]})
        if counts.get(article.id, article.source_count) != article.source_count
        else article
        for article in articles
    ]


def _unique_latest(articles: Iterable[NormalizedArticle]) -> list[NormalizedArticle]:
    latest: dict[str, NormalizedArticle] = {}
    for article in articles:
        known = latest.get(article.id)
        if known is None or article.version >= known.version:
            latest[article.id] = article
    return list(latest.values())


def _due_articles(
    index: SeenIndex, accepted_paths: Sequence[str | Path], *, count_updates: bool
) -> tuple[list[NormalizedArticle], list[NormalizedArticle]]:
    """What a delivery of these sources' accepted files must send: ``(all, with new text)``.

    Besides the accepted articles: those of the same sources recorded earlier but never
    delivered (a pass that failed in between), and, with ``count_updates``, published articles
    whose story more copies from these sources carried since (same version, new count).
    Accepted files are named by source id.
    """
    sources = [Path(path).stem for path in accepted_paths]
    updates = index.count_updates(sources) if count_updates else []
    texts = _unique_latest([*index.unpublished(sources), *read_articles(accepted_paths)])
    text_ids = {article.id for article in texts}
    # Records with new text come last, so they win over a count update of the same id.
    due = _with_current_counts(
        _unique_latest([*(a for a in updates if a.id not in text_ids), *texts]), index
    )
    return due, [article for article in due if article.id in text_ids]


def publish_articles(
    accepted_paths: Sequence[str | Path],
    *,
    settings: IngestSettings,
    kafka_settings: KafkaSettings,
    published_path: Path | None = None,
    tally: Counter[str] | None = None,
) -> int:
    """Publish accepted articles to ``news.articles.v1`` (keyed by id) and mark them published.

    Also sends what :func:`_due_articles` finds due for the same sources: articles recorded by
    an earlier pass that failed before publishing, and published articles re-sent with a higher
    ``source_count``. With ``published_path`` the articles sent with new text (not the count
    updates) are written there, for event extraction. With ``tally`` the articles sent are
    counted there by source id. Returns how many records were acknowledged.
    """
    from newswire.transport.kafka import RecordPublisher
    from schemas.topics import ARTICLES

    with open_seen_index(settings) as index:
        articles, with_text = _due_articles(index, accepted_paths, count_updates=True)
        sent = 0
        if articles:
            with RecordPublisher(kafka_settings) as publisher:
                sent = publisher.publish(
                    ARTICLES, articles, timeout_s=settings.kafka_publish_timeout_seconds
                )
            index.mark_published(articles)
    for article in articles:
        with bound(article_id=article.id):
            log.info(
                "article %s published to %s (version %d, %d source(s))",
                article.id,
                ARTICLES.name,
                article.version,
                article.source_count,
                extra={"event": "article_published", "source": article.source_id},
            )
    if tally is not None:
        tally.update(article.source_id for article in articles)
    if published_path is not None:
        write_lines_atomically(published_path, (a.model_dump_json() for a in with_text))
    if len(articles) > len(with_text):
        log.info(
            "re-published %d article(s) carried by more sources since",
            len(articles) - len(with_text),
        )
    log.info("published %d article(s) to %s", sent, ARTICLES.name)
    return sent


def publish_source(
    accepted_path: str | Path,
    *,
    run_id: str,
    settings: IngestSettings,
    kafka_settings: KafkaSettings,
    tally: Counter[str] | None = None,
) -> str:
    """The DAG's publish task for one source; returns the path of what it sent with new text.

    ``tally`` as for :func:`publish_articles`.
    """
    published = RunFiles(settings.state_dir, run_id).published(Path(accepted_path).stem)
    publish_articles(
        [accepted_path],
        settings=settings,
        kafka_settings=kafka_settings,
        published_path=published,
        tally=tally,
    )
    return str(published)


def write_articles(
    accepted_paths: Sequence[str | Path],
    output: Path,
    *,
    settings: IngestSettings,
    tally: Counter[str] | None = None,
) -> int:
    """Write due articles as JSON lines to ``output`` instead of Kafka; mark them delivered.

    Due as for :func:`publish_articles`, without the count updates; ``tally`` as there.
    """
    with open_seen_index(settings) as index:
        articles, _ = _due_articles(index, accepted_paths, count_updates=False)
        written = write_lines_atomically(output, (a.model_dump_json() for a in articles))
        index.mark_published(articles)
    for article in articles:
        with bound(article_id=article.id):
            log.info(
                "article %s written to %s (version %d)",
                article.id,
                output,
                article.version,
                extra={"event": "article_written", "source": article.source_id},
            )
    if tally is not None:
        tally.update(article.source_id for article in articles)
    return written


def extract_and_publish_events(
    accepted_paths: Sequence[str | Path],
    *,
    kafka_settings: KafkaSettings,
    extract_settings: ExtractSettings,
    tally: Counter[tuple[str, str]] | None = None,
) -> int:
    """Run event extraction over accepted articles and publish the events to ``news.events.v1``.

    The extractor (and its spaCy model) is imported here, lazily, once per process. Articles are
    extracted together (the batched path: candidate sentences of many articles parsed in one
    ``nlp.pipe``); if the batch fails, each article is retried alone, and an article the
    extractor still fails on is logged and skipped. With ``tally`` the events sent are counted
    there by ``(source id, event type)``. Returns how many events were acknowledged.
    """
    try:
        from newswire.extract.extractor import ArticleInput, EventExtractor
    except ImportError as exc:
        raise IngestError(f"event extraction is not available: {exc}") from exc
    from newswire.transport.kafka import RecordPublisher
    from schemas.topics import EVENTS

    extractor = EventExtractor(extract_settings)
    articles = list(_unique_latest(read_articles(accepted_paths)))
    events: list[Any] = []
    try:
        for batch in extractor.extract_inputs([ArticleInput.from_article(a) for a in articles]):
            events.extend(batch)
    except NewswireError as exc:
        log.warning("batched event extraction failed (%s); extracting article by article", exc)
        events = []
        for article in articles:
            try:
                events.extend(extractor.extract(article))
            except NewswireError as article_exc:
                with bound(article_id=article.id):
                    log.error("article %s: event extraction failed: %s", article.id, article_exc)
    if not events:
        return 0
    with RecordPublisher(kafka_settings) as publisher:
        sent = publisher.publish(EVENTS, events)
    for event in events:
        with bound(article_id=event.article_id, event_id=event.event_id):
            log.info(
                "event %s (%s) of article %s published to %s",
                event.event_id,
                event.type.value,
                event.article_id,
                EVENTS.name,
                extra={"event": "event_published", "source": event.source_id},
            )
    if tally is not None:
        tally.update((event.source_id or "", event.type.value) for event in events)
    log.info("published %d event(s) to %s", sent, EVENTS.name)
    return sent
