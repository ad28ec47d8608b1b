"""The consumer loop: poll, hand a batch to the handler, dead-letter, commit.

The loop holds what needs the Kafka client (group membership, polling, pausing, committing,
lag) and the optional pipelining thread. Its pure parts live beside it: decoding a batch and
building its dead letters (:mod:`consumers.runtime.batch`), the retry policy and state machine
(:mod:`consumers.runtime.retry`), and the commit calculator (:mod:`consumers.runtime.offsets`).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import FrameType
from typing import Any, Generic, Protocol, TypeVar

from kafka import KafkaConsumer
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from consumers.runtime.batch import Batch, decode_batch
from consumers.runtime.dlq import DeadLetterWriter
from consumers.runtime.errors import ConsumerError, RetryableError
from consumers.runtime.metrics import ConsumerMetrics
from consumers.runtime.offsets import consumer_lag, plan_commit
from consumers.runtime.records import ConsumedRecord, Outcome
from consumers.runtime.retry import RetryPolicy, RetryWait, handle_until_settled
from consumers.runtime.settings import ConsumerSettings
from newswire.settings import milliseconds
from schemas.base import Contract
from schemas.topics import TopicSpec

log = logging.getLogger(__name__)

RecordT = TypeVar("RecordT", bound=Contract)
RecordT_contra = TypeVar("RecordT_contra", bound=Contract, contravariant=True)


class Handler(Protocol[RecordT_contra]):
    """What a consumer does with a batch of valid records (see ``consumers.runtime``)."""

    @property
    def stage(self) -> str:
        """The stage name, written in dead-letter headers and metric labels."""
        ...

    def handle(self, batch: Sequence[ConsumedRecord[RecordT_contra]]) -> Sequence[Outcome]:
        """Make the batch's effects durable; one outcome per record, in order."""
        ...


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runtime: ConsumerRuntime[Any]) -> None:
        self._runtime = runtime

    def on_partitions_revoked(self, revoked: Any) -> None:
        self._runtime._on_revoked(list(revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        self._runtime._on_assigned(list(assigned))


class ConsumerRuntime(Generic[RecordT]):
    """Runs one member of a consumer group over ``topics`` with ``handler``.

    Offsets are committed only after every record of a batch is done or dead-lettered (and the
    dead letters are acknowledged), so a crash at any point replays the batch: handlers must be
    idempotent. Clients are created in :meth:`open` (called by :meth:`run`), never on import.
    """

    def __init__(
        self,
        topics: Sequence[TopicSpec],
        handler: Handler[RecordT],
        settings: ConsumerSettings,
        *,
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        if not topics:
            raise ConsumerError("a consumer needs at least one topic")
        self._specs = {spec.name: spec for spec in topics}
        self._handler = handler
        self._settings = settings
        self.metrics = metrics if metrics is not None else ConsumerMetrics()
        self._stop = threading.Event()
        self._consumer: KafkaConsumer | None = None
        self._dlq = DeadLetterWriter(settings.kafka, timeout_s=settings.dlq_timeout_seconds)
        self._retry_policy = RetryPolicy(
            settings.retry_initial_backoff_seconds,
            settings.retry_max_backoff_seconds,
            settings.retry_max_attempts,
        )
        self._last_activity = time.monotonic()
        self._joined = False
        self._empty_since: float | None = None
        self._empty_rejoins = 0
        self._closing = False
        self._executor: ThreadPoolExecutor | None = None
        self._inflight: tuple[Batch[RecordT], Future[Sequence[Outcome]]] | None = None
        self._last_lag_refresh = 0.0
        self._metrics_served = False

    @property
    def stage(self) -> str:
        """The handler's stage name."""
        return self._handler.stage

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        """Join the consumer group and open the dead-letter producer."""
        if self._consumer is not None:
            return
        self._closing = False
        settings = self._settings
        if settings.metrics_port is not None and not self._metrics_served:
            self.metrics.serve(settings.metrics_port, settings.metrics_addr)
            self._metrics_served = True
        try:
            consumer = KafkaConsumer(
                **settings.kafka.client_options(),
                group_id=settings.group_id,
                enable_auto_commit=False,
                auto_offset_reset=settings.auto_offset_reset,
                max_poll_records=settings.max_batch_records,
                max_poll_interval_ms=milliseconds(settings.max_poll_interval_seconds),
                session_timeout_ms=milliseconds(settings.session_timeout_seconds),
                heartbeat_interval_ms=milliseconds(settings.heartbeat_interval_seconds),
                isolation_level="read_committed",
                check_crcs=settings.check_crcs,
                metadata_max_age_ms=milliseconds(settings.metadata_max_age_seconds),
            )
            consumer.subscribe(topics=sorted(self._specs), listener=_Rebalance(self))
        except KafkaError as exc:
            raise ConsumerError(
                f"cannot join group {settings.group_id!r} at {settings.kafka.address()}: {exc}"
            ) from exc
        self._consumer = consumer
        self._dlq.open()
        if settings.pipeline:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.stage)
        log.info(
            "consumer started",
            extra={
                "event": "started",
                "stage": self.stage,
                "group": settings.group_id,
                "topics": sorted(self._specs),
            },
        )

    def close(self) -> None:
        """Leave the group without committing anything more, and close the producer."""
        consumer, self._consumer = self._consumer, None
        self._closing = True
        executor, self._executor = self._executor, None
        self._inflight = None
        if executor is not None:
            executor.shutdown(wait=True)
        try:
            if consumer is not None:
                consumer.close(
                    autocommit=False, timeout_ms=milliseconds(self._settings.close_timeout_seconds)
                )
        finally:
            self._dlq.close()
        log.info("consumer closed", extra={"event": "closed", "stage": self.stage})

    def stop(self) -> None:
        """Ask the loop to finish (safe from signal handlers and other threads)."""
        self._stop.set()

    # -- the loop --------------------------------------------------------------------------

    def run(self, until_idle: float | None = None, *, install_signal_handlers: bool = True) -> int:
        """Consume until stopped (SIGTERM/SIGINT) or, with ``until_idle``, idle that long.

        Returns the process exit code: 0 after a clean stop or idle exit. Raises
        :class:`ConsumerError` when it cannot go on; nothing uncommitted is committed then.
        """
        previous: dict[signal.Signals, Any] = {}
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, self._on_signal)
        try:
            self.open()
            self._last_activity = time.monotonic()
            while not self._stop.is_set():
                messages = self._poll()
                if not messages:
                    if self._inflight is not None:
                        if not self._finish_inflight():
                            break
                        self._last_activity = time.monotonic()
                        continue
                    self._rejoin_after_empty_share()
                    if until_idle is None:
                        continue
                    if not self._joined:
                        # Idle only counts once the group has given this member its share: a
                        # restarted member may wait for a dead one's session to expire first.
                        self._check_join_deadline(until_idle)
                        continue
                    idle = time.monotonic() - self._last_activity
                    if idle >= until_idle:
                        log.info(
                            "idle, exiting",
                            extra={"event": "idle_exit", "stage": self.stage, "idle_s": idle},
                        )
                        return 0
                    continue
                self._last_activity = time.monotonic()
                batch = self._prepare(messages)
                # With pipelining the previous batch was being handled while this one was
                # fetched and decoded; it is finished (and committed) first, in order.
                if self._inflight is not None and not self._finish_inflight():
                    break
                if self._stop.is_set():
                    self._log_abandoned(batch)
                    break
                if self._executor is not None and batch.valid:
                    self._inflight = (
                        batch,
                        self._executor.submit(self._handler.handle, batch.valid),
                    )
                elif not self._complete(batch, self._handle_with_retry(batch.valid)):
                    break
                self._last_activity = time.monotonic()
            if self._inflight is not None:
                # Stopped while a batch was being handled: let it finish, commit it if it did.
                self._finish_inflight()
            return 0
        finally:
            try:
                self.close()
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)

    def _check_join_deadline(self, until_idle: float) -> None:
        waited = time.monotonic() - self._last_activity
        limit = until_idle + self._settings.join_timeout_seconds
        if waited > limit:
            raise ConsumerError(
                f"{self.stage}: no partition assignment from group {self._settings.group_id!r} "
                f"after {waited:.0f} s"
            )

    def _rejoin_after_empty_share(self) -> None:
        """Subscribe again when an empty share outlives a metadata refresh.

        kafka-python sometimes keeps a share the leader computed before it knew the topics'
        partitions, even after fresh metadata shows them (seen in CI). A new subscription makes
        this member join again; it owns nothing yet, so nothing is lost. Bounded, so that a
        member of a group with more members than partitions does not churn the group.
        """
        since = self._empty_since
        if since is None or self._empty_rejoins >= self._settings.empty_share_rejoins:
            return
        wait = self._settings.empty_share_rejoin_seconds * (2**self._empty_rejoins)
        if time.monotonic() - since < wait:
            return
        consumer = self._require_consumer()
        self._empty_rejoins += 1
        self._empty_since = time.monotonic()
        log.warning(
            "still no partitions after an empty share, joining the group again",
            extra={"event": "rejoin", "stage": self.stage, "attempt": self._empty_rejoins},
        )
        try:
            consumer.unsubscribe()
            consumer.subscribe(topics=sorted(self._specs), listener=_Rebalance(self))
        except KafkaError as exc:
            raise ConsumerError(
                f"cannot join group {self._settings.group_id!r} again: {exc}"
            ) from exc

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal received, stopping", extra={"event": "signal", "signal": signum})
        self.stop()

    def _require_consumer(self) -> KafkaConsumer:
        if self._consumer is None:
            raise ConsumerError("the consumer is not open")
        return self._consumer

    def _poll(self) -> list[Any]:
        consumer = self._require_consumer()
        try:
            # While a batch is handled in the background, come back soon to commit it.
            timeout_ms = milliseconds(self._settings.poll_timeout_seconds)
            if self._inflight is not None:
                timeout_ms = min(timeout_ms, 20)
            polled = consumer.poll(
                timeout_ms=timeout_ms,
                max_records=self._settings.max_batch_records,
            )
        except KafkaError as exc:
            raise ConsumerError(f"poll failed: {exc}") from exc
        self._refresh_lag()
        messages: list[Any] = []
        for tp in sorted(polled, key=lambda tp: (tp.topic, tp.partition)):
            messages.extend(polled[tp])
        return messages

    def _prepare(self, messages: Sequence[Any]) -> Batch[RecordT]:
        """Decode a polled batch into valid records and poison messages, and count them."""
        stage = self.stage
        batch: Batch[RecordT] = decode_batch(messages, self._specs, started=time.perf_counter())
        for topic, count in batch.invalid().items():
            self.metrics.dead_lettered.labels(stage, topic, "invalid").inc(count)
        for topic, count in batch.consumed().items():
            self.metrics.consumed.labels(stage, topic).inc(count)
        return batch

    def _finish_inflight(self) -> bool:
        """Wait for the batch handled in the background; retry it here if the sink pushed back."""
        assert self._inflight is not None
        batch, future = self._inflight
        self._inflight = None
        try:
            outcomes: list[Outcome] | None = list(future.result())
        except RetryableError as exc:
            outcomes = self._handle_with_retry(batch.valid, first_error=exc)
        return self._complete(batch, outcomes)

    def _log_abandoned(self, batch: Batch[RecordT]) -> None:
        log.info(
            "batch abandoned on shutdown, not committed",
            extra={"event": "abandoned", "stage": self.stage, "records": len(batch.messages)},
        )

    def _complete(self, batch: Batch[RecordT], outcomes: list[Outcome] | None) -> bool:
        """Dead-letter and commit a handled batch; False when it was abandoned (stop request)."""
        if outcomes is None:
            self._log_abandoned(batch)
            return False
        stage = self.stage
        settlement = batch.settle(outcomes, stage)
        for topic, count in settlement.rejected.items():
            self.metrics.dead_lettered.labels(stage, topic, "rejected").inc(count)
        self._dlq.write(settlement.letters)
        self._commit(batch.messages)
        for topic, count in settlement.done.items():
            self.metrics.done.labels(stage, topic).inc(count)
        elapsed = time.perf_counter() - batch.started
        self.metrics.batch_seconds.labels(stage).observe(elapsed)
        log.info(
            "batch committed",
            extra={
                "event": "batch_committed",
                "stage": stage,
                "records": len(batch.messages),
                "done": sum(settlement.done.values()),
                "dead_lettered": len(settlement.letters),
                "seconds": round(elapsed, 4),
                "record_ids": [r.record_id for r in batch.valid],
            },
        )
        return True

    def _handle_with_retry(
        self,
        valid: list[ConsumedRecord[RecordT]],
        *,
        first_error: RetryableError | None = None,
    ) -> list[Outcome] | None:
        """Call the handler until every record has an outcome; None when stopped meanwhile.

        ``first_error`` is the push-back of a call already made (in the background). The
        partitions stay paused from the first retry wait until the batch is settled.
        """
        paused = False

        def wait(retry: RetryWait) -> bool:
            nonlocal paused
            self.metrics.retries.labels(self.stage).inc()
            if not paused:
                self._pause_all()
                paused = True
            log.warning(
                "sink busy, retrying",
                extra={
                    "event": "retry",
                    "stage": self.stage,
                    "attempt": retry.attempt,
                    "delay_s": round(retry.delay, 3),
                    "pending": len(retry.pending),
                    "error": str(retry.error),
                    "record_ids": [valid[i].record_id for i in retry.pending[:20]],
                },
            )
            return self._wait_paused(retry.delay)

        try:
            return handle_until_settled(
                lambda pending: self._handler.handle([valid[i] for i in pending]),
                len(valid),
                self._retry_policy,
                wait=wait,
                stage=self.stage,
                first_error=first_error,
            )
        finally:
            if paused and self._consumer is not None:
                self._consumer.resume(*self._consumer.paused())

    def _pause_all(self) -> None:
        consumer = self._require_consumer()
        assigned = consumer.assignment()
        if assigned:
            consumer.pause(*assigned)

    def _wait_paused(self, seconds: float) -> bool:
        """Keep polling (liveness) with partitions paused; False if stopped meanwhile."""
        consumer = self._require_consumer()
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            try:
                polled = consumer.poll(timeout_ms=max(1, int(min(remaining, 0.5) * 1000)))
            except KafkaError as exc:
                raise ConsumerError(f"poll failed while paused: {exc}") from exc
            # A partition assigned by a rebalance meanwhile is not paused: put back what it
            # returned and pause it, so nothing is skipped and nothing is buffered.
            for tp, records in polled.items():
                if records:
                    consumer.seek(tp, records[0].offset)
                consumer.pause(tp)
        return False

    def _commit(self, messages: Sequence[Any]) -> None:
        consumer = self._require_consumer()
        owned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        plan = plan_commit(((m.topic, m.partition, m.offset) for m in messages), owned)
        offsets = {
            TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
            for (topic, partition), offset in plan.offsets.items()
        }
        moved = [TopicPartition(topic, partition) for topic, partition in plan.moved]
        if moved:
            log.warning(
                "partitions moved during the batch; not committing them",
                extra={"event": "commit_skipped", "stage": self.stage, "partitions": _names(moved)},
            )
        if not offsets:
            return
        try:
            consumer.commit(offsets, timeout_ms=milliseconds(self._settings.commit_timeout_seconds))
        except CommitFailedError as exc:
            # The partitions moved to another member during the batch; it replays them and the
            # handler's effects are idempotent, so this is not a loss.
            log.warning(
                "commit refused after a rebalance; the new owner replays the batch",
                extra={"event": "commit_failed", "stage": self.stage, "error": str(exc)},
            )
        except KafkaError as exc:
            raise ConsumerError(f"commit failed: {exc}") from exc

    # -- group membership and lag ------------------------------------------------------------

    def _on_revoked(self, revoked: list[TopicPartition]) -> None:
        self._joined = False
        # Leaving the group on close keeps the last lag figures; a rebalance drops them.
        for tp in revoked if not self._closing else ():
            with contextlib.suppress(KeyError):
                self.metrics.lag.remove(self.stage, tp.topic, str(tp.partition))
        log.info(
            "partitions revoked",
            extra={"event": "revoked", "stage": self.stage, "partitions": _names(revoked)},
        )

    def _on_assigned(self, assigned: list[TopicPartition]) -> None:
        # An empty share usually means the group leader did not know our topics' partitions
        # yet; the next metadata refresh triggers a rejoin, so idling out now would skip them.
        self._joined = bool(assigned)
        self._last_activity = time.monotonic()
        self._empty_since = None if assigned else time.monotonic()
        if not assigned:
            log.warning(
                "empty partition assignment, waiting for a rejoin",
                extra={"event": "assigned_empty", "stage": self.stage},
            )
            return
        log.info(
            "partitions assigned",
            extra={"event": "assigned", "stage": self.stage, "partitions": _names(assigned)},
        )

    def _refresh_lag(self) -> None:
        now = time.monotonic()
        if now - self._last_lag_refresh < self._settings.lag_refresh_seconds:
            return
        self._last_lag_refresh = now
        consumer = self._require_consumer()
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = consumer.position(tp, timeout_ms=100)
            except KafkaError:
                continue
            if position is None:
                continue
            self.metrics.lag.labels(self.stage, tp.topic, str(tp.partition)).set(
                consumer_lag(highwater, position)
            )

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member holds now."""
        return set(self._require_consumer().assignment())


def _names(partitions: Sequence[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}/{tp.partition}" for tp in partitions)
