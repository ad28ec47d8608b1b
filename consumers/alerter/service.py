"""``newswire consume alerter``: the alerter service (runtime handler, wiring, entry point)."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from elasticsearch import Elasticsearch

from consumers.alerter.actors import Resolver, gazetteer_resolver
from consumers.alerter.channels import Notifier, build_notifier
from consumers.alerter.core import Alerter, channel_label
from consumers.alerter.dispatch import Clock, Dispatcher, utc_now
from consumers.alerter.errors import StoreConflictError, StoreError
from consumers.alerter.feeds import FeedWriter
from consumers.alerter.metrics import AlerterMetrics
from consumers.alerter.settings import AlerterSettings
from consumers.alerter.store import DevelopmentStore, Outbox
from consumers.alerter.subscriptions import ResolvedSubscription, load_subscriptions
from consumers.runtime import (
    ConsumedRecord,
    ConsumerMetrics,
    Outcome,
    SinkBusy,
    configure_json_logging,
)
from consumers.runtime.service import ELASTICSEARCH, ConsumerService
from newswire.errors import NewswireError
from newswire.logs import LogSettings
from schemas.events import Event
from schemas.topics import EVENTS, TOPICS, TopicSpec

log = logging.getLogger(__name__)


def events_topic(settings: AlerterSettings) -> TopicSpec:
    """The topic the alerter reads: the catalogue's events topic, under the configured name.

    Contract, key and partitions come from the topic catalogue; only the name can differ (a test
    topic carrying events).
    """
    return TOPICS.get(settings.topic) or dataclasses.replace(EVENTS, name=settings.topic)


class AlerterHandler:
    """The consumer-runtime handler: a batch of events is done once its alerts are recorded."""

    stage = "alerter"

    def __init__(self, alerter: Alerter) -> None:
        self.alerter = alerter

    def handle(self, batch: Sequence[ConsumedRecord[Event]]) -> Sequence[Outcome]:
        """Process the batch; Elasticsearch trouble or a concurrent update retries it."""
        try:
            self.alerter.process([record.value for record in batch])
        except (StoreError, StoreConflictError) as exc:
            raise SinkBusy(str(exc)) from exc
        return [Outcome.done() for _ in batch]


class AlerterService(ConsumerService[Event]):
    """The events topic into alerts: the shared service skeleton around an :class:`Alerter`.

    :meth:`open` (also usable without a runtime, as tests of delivery do) loads subscriptions,
    connects to Elasticsearch (waiting for it at start-up, up to ``startup_wait_seconds``) and
    resends what is pending; :meth:`close` closes all of it.
    """

    stage = AlerterHandler.stage

    def __init__(
        self,
        settings: AlerterSettings,
        *,
        subscriptions_file: Path | None = None,
        resolver: Resolver | None = None,
        use_gazetteer: bool = True,
        clock: Clock = utc_now,
        metrics: AlerterMetrics | None = None,
        consumer_metrics: ConsumerMetrics | None = None,
        feed_dir: Path | None = None,
    ) -> None:
        super().__init__(settings, consumer_metrics=consumer_metrics)
        self.feed_dir = feed_dir
        self.settings = settings
        self.metrics = (
            metrics if metrics is not None else AlerterMetrics(self.consumer_metrics.registry)
        )
        self.subscriptions_file = subscriptions_file or settings.subscriptions_file
        self._es_settings = settings.es
        self._resolver = resolver
        self._use_gazetteer = use_gazetteer
        self._clock = clock
        self._client: Elasticsearch | None = None
        self._notifiers: dict[tuple[str, str], Notifier[Any]] = {}
        self._ticker_stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.alerter: Alerter | None = None
        self.dispatcher: Dispatcher | None = None
        self.outbox: Outbox | None = None
        self.store: DevelopmentStore | None = None

    def open(self) -> Alerter:
        """Load subscriptions, connect to Elasticsearch, create indices, resend what is pending."""
        resolver = self._resolver
        if resolver is None and self._use_gazetteer:
            resolver = gazetteer_resolver()
        subscriptions = load_subscriptions(self.subscriptions_file, resolver=resolver)
        self._notifiers = self._build_notifiers(subscriptions)
        self._client = Elasticsearch(**self._es_settings.client_options())  # type: ignore[arg-type]
        timeout = self.settings.store_timeout_seconds
        self.store = DevelopmentStore(
            self._client, self.settings.developments_index, timeout_s=timeout
        )
        self.outbox = Outbox(self._client, self.settings.outbox_index, timeout_s=timeout)
        self.wait_for(ELASTICSEARCH, self._setup_indices)
        self.dispatcher = Dispatcher(
            self.outbox,
            self.settings,
            lambda sub_id, label: self._notifiers.get((sub_id, label)),
            clock=self._clock,
            metrics=self.metrics,
        )
        self.alerter = Alerter(
            subscriptions,
            self.store,
            self.outbox,
            self.dispatcher,
            self.settings,
            clock=self._clock,
            metrics=self.metrics,
            feed=FeedWriter(self.feed_dir) if self.feed_dir is not None else None,
        )
        recovered = self.wait_for(ELASTICSEARCH, self.dispatcher.recover)
        if recovered:
            log.info(
                "pending deliveries requeued", extra={"event": "recovered", "count": recovered}
            )
        self._ticker = threading.Thread(target=self._tick, name="digest ticker", daemon=True)
        self._ticker.start()
        return self.alerter

    def _setup_indices(self) -> None:
        assert self.store is not None and self.outbox is not None
        self.store.setup()
        self.outbox.setup()

    def topics(self) -> Sequence[TopicSpec]:
        """The events topic of the catalogue (under the configured name)."""
        return [events_topic(self.settings)]

    def open_handler(self) -> AlerterHandler:
        """Open the alerter (see :meth:`open`) and return the runtime's handler."""
        return AlerterHandler(self.open())

    def _build_notifiers(
        self, subscriptions: Sequence[ResolvedSubscription]
    ) -> dict[tuple[str, str], Notifier[Any]]:
        notifiers: dict[tuple[str, str], Notifier[Any]] = {}
        for sub in subscriptions:
            for position, channel in enumerate(sub.subscription.channels):
                label = channel_label(position, channel.type)
                notifiers[(sub.id, label)] = build_notifier(channel, self.settings)
        return notifiers

    def _tick(self) -> None:
        while not self._ticker_stop.wait(self.settings.digest_tick_seconds):
            alerter = self.alerter
            if alerter is None:
                continue
            try:
                alerter.flush_digests()
            except NewswireError:
                log.exception("digest flush failed; retrying at the next tick")

    def close(self) -> None:
        """Wait (bounded) for queued deliveries, then stop workers and close clients."""
        self._ticker_stop.set()
        if self._ticker is not None:
            self._ticker.join(5)
        if self.dispatcher is not None:
            if not self.dispatcher.drain(self.settings.drain_timeout_seconds):
                log.warning("deliveries still queued at exit stay pending in the outbox")
            self.dispatcher.stop()
        for notifier in self._notifiers.values():
            notifier.close()
        if self._client is not None:
            self._client.close()
            self._client = None


def run_alerter(
    settings: AlerterSettings,
    until_idle: float | None = None,
    *,
    subscriptions_file: Path | None = None,
    install_signal_handlers: bool = True,
    feed_dir: Path | None = None,
) -> int:
    """Run one alerter process member until stopped or idle; returns the exit code."""
    service = AlerterService(settings, subscriptions_file=subscriptions_file, feed_dir=feed_dir)
    return service.run(until_idle, install_signal_handlers=install_signal_handlers)


SubscriptionsOption = Annotated[
    Path | None,
    typer.Option("--subscriptions", help="Subscriptions file (default: the shipped one)."),
]
UntilIdleOption = Annotated[
    float | None,
    typer.Option("--until-idle", help="Exit once no event arrived for this many seconds."),
]


FeedDirOption = Annotated[
    Path | None,
    typer.Option("--feed-dir", help="Also write an Atom feed per subscription here."),
]


def main(
    subscriptions: SubscriptionsOption = None,
    until_idle: UntilIdleOption = None,
    feed_dir: FeedDirOption = None,
) -> int:
    """Entry point of ``newswire consume alerter``; returns the exit code.

    Exit 0 after SIGTERM/SIGINT or once idle for ``until_idle`` seconds; 1 when the
    subscriptions are invalid or Kafka / Elasticsearch cannot be used.
    """
    configure_json_logging(LogSettings())
    try:
        settings = AlerterSettings()
        return run_alerter(
            settings, until_idle, subscriptions_file=subscriptions, feed_dir=feed_dir
        )
    except NewswireError as exc:
        log.error("alerter stopped on error", extra={"event": "fatal", "error": str(exc)})
        return 1


def _command(
    subscriptions: SubscriptionsOption = None,
    until_idle: UntilIdleOption = None,
    feed_dir: FeedDirOption = None,
) -> None:
    raise typer.Exit(main(subscriptions, until_idle, feed_dir))


if __name__ == "__main__":
    typer.run(_command)
