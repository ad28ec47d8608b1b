"""Consumer settings whose topics, group and indices belong to one test, or one benchmark run.

``owner`` is ``"test"`` or ``"bench"``, ``tag`` the test's suffix or the run's id: nothing the
stack or another test uses carries those names, so the owner removes them all afterwards. The
indexer's aliases are ``<owner>-<tag>-news-*``, so their templates never overlap the real ones.
``tuning`` is passed on as further settings (poll timeouts, retry backoff...).
"""

from __future__ import annotations

from typing import Any

from consumers.alerter.settings import AlerterSettings
from consumers.indexer import IndexerSettings
from newswire.settings import ElasticsearchSettings, KafkaSettings


def owned_indexer_settings(
    kafka: KafkaSettings, es: ElasticsearchSettings, owner: str, tag: str, **tuning: Any
) -> IndexerSettings:
    """Indexer settings on ``<owner>.indexer.<tag>.{articles,events}``, group and aliases its own."""
    topics = f"{owner}.indexer.{tag}"
    aliases = f"{owner}-{tag}-news"
    return IndexerSettings(
        kafka=kafka,
        es=es,
        group_id=f"{owner}-indexer-{tag}",
        articles_topic=f"{topics}.articles",
        events_topic=f"{topics}.events",
        articles_alias=f"{aliases}-articles",
        events_alias=f"{aliases}-events",
        **tuning,
    )


def owned_alerter_settings(
    kafka: KafkaSettings, owner: str, tag: str, **tuning: Any
) -> AlerterSettings:
    """Alerter settings on topic ``<owner>.alerter.<tag>``, group and indices its own."""
    return AlerterSettings(
        kafka=kafka,
        topic=f"{owner}.alerter.{tag}",
        group_id=f"{owner}-alerter-{tag}",
        developments_index=f"{owner}-alerter-developments-{tag}",
        outbox_index=f"{owner}-alerter-outbox-{tag}",
        **tuning,
    )
