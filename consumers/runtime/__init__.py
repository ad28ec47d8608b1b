"""The consumer runtime shared by every newswire consumer (the indexer, the alerter).

A consumer is a :class:`ConsumerRuntime` over one or more topics of the catalogue
(``schemas.topics``) and a *handler*. The runtime joins a kafka-python consumer group (clients are
created in :meth:`ConsumerRuntime.open`/:meth:`ConsumerRuntime.run`, never on import), polls,
decodes and validates every message with its topic's contract (``model_validate_json``), and hands
the batch of valid records to the handler.

Handler protocol (:class:`Handler`)::

    class MyHandler:
        stage = "alerter"                      # written in dead-letter headers and metrics

        def handle(self, batch: Sequence[ConsumedRecord[Event]]) -> Sequence[Outcome]:
            ...                                 # make the effects durable (idempotently)
            return [Outcome.done() or Outcome.dead_letter("why") for each record, in order]

- ``handle`` returns exactly one :class:`Outcome` per record, in order: ``Outcome.done()`` once
  the record's effect is durable, ``Outcome.dead_letter(error)`` when the record can never
  succeed (it then goes to ``<topic>.dlq``).
- When the sink pushes back, ``handle`` raises :class:`SinkBusy` (or any
  :class:`RetryableError`), optionally with ``settled={position: Outcome}`` for the records of the
  batch that are already final. The runtime pauses its assigned partitions (it keeps polling for
  liveness, so nothing more is fetched or buffered), waits with exponential backoff and jitter,
  hands the remaining records to ``handle`` again, and resumes. A stop request during the wait
  abandons the batch without committing it. ``retry_max_attempts`` (default: unlimited) bounds
  the retries; past it the runtime raises :class:`ConsumerError`.
- Any other exception is a bug: it propagates, nothing of the batch is committed.
- Handlers must be idempotent: after a crash the uncommitted batch is delivered again.

Guarantees: offsets are committed per partition only after every record of the batch is done or
dead-lettered and the dead letters are acknowledged (at-least-once; with idempotent effects,
exactly-once in effect). Invalid messages (not the contract's JSON, a key that is not the
record's id, a tombstone) go to ``<topic>.dlq`` with headers ``newswire.source.topic``,
``newswire.source.partition``, ``newswire.source.offset``, ``newswire.stage``,
``newswire.error`` and ``newswire.failed_at``, and the stream goes on. SIGTERM/SIGINT stop the
loop (the current handler call finishes and is committed, a retry wait is abandoned), then the
consumer leaves the group. More processes with the same ``group_id`` share the partitions.
``run(until_idle=S)`` returns 0 once the member has its assignment and no record arrived for S
seconds. With ``pipeline=True`` (a setting) the handler runs in one background thread while the
next batch is fetched and decoded: at most one batch ahead, commits still in order, the handler
called from that thread (one call at a time).

Each service subclasses :class:`ConsumerSettings` with its own env prefix (e.g.
``NEWSWIRE_INDEXER_``); :class:`ConsumerMetrics` keeps the Prometheus metrics in a registry of
its own, served over HTTP when ``metrics_port`` is set; :func:`configure_json_logging` writes the
structured logs (JSON lines with the record ids).
"""

from consumers.runtime.decode import DecodeFailure, decode_message
from consumers.runtime.dlq import (
    DeadLetter,
    DeadLetterWriter,
    decode_headers,
    dlq_headers,
    dlq_topic,
)
from consumers.runtime.errors import (
    ConsumerError,
    HandlerContractError,
    RetryableError,
    SinkBusy,
)
from consumers.runtime.logs import configure_json_logging
from consumers.runtime.loop import ConsumerRuntime, Handler
from consumers.runtime.metrics import ConsumerMetrics
from consumers.runtime.records import ConsumedRecord, Outcome, OutcomeKind
from consumers.runtime.settings import ConsumerSettings
from newswire.retry import backoff_delay

__all__ = [
    "ConsumedRecord",
    "ConsumerError",
    "ConsumerMetrics",
    "ConsumerRuntime",
    "ConsumerSettings",
    "DeadLetter",
    "DeadLetterWriter",
    "DecodeFailure",
    "Handler",
    "HandlerContractError",
    "Outcome",
    "OutcomeKind",
    "RetryableError",
    "SinkBusy",
    "backoff_delay",
    "configure_json_logging",
    "decode_headers",
    "decode_message",
    "dlq_headers",
    "dlq_topic",
]
