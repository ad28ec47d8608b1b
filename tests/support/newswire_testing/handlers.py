"""A consumer-runtime handler of the tests: records what it handled, rejects or pushes back."""

from __future__ import annotations

from collections.abc import Sequence

from consumers.runtime import ConsumedRecord, Outcome, SinkBusy
from schemas.events import Event


class RecordingHandler:
    """Records the event ids it handled; dead-letters the ``reject`` ids with ``reason``.

    With ``busy_times`` it first pushes back that many batches (``SinkBusy``), each time
    settling the batch's first record, which the runtime must then not hand over again.
    """

    stage = "test-stage"

    def __init__(
        self,
        *,
        busy_times: int = 0,
        reject: frozenset[str] = frozenset(),
        reason: str = "rejected by the test sink",
    ) -> None:
        self.busy_times = busy_times
        self.reject = reject
        self.reason = reason
        self.handled: list[str] = []
        self.calls = 0

    def handle(self, batch: Sequence[ConsumedRecord[Event]]) -> Sequence[Outcome]:
        self.calls += 1
        if self.busy_times > 0:
            self.busy_times -= 1
            self.handled.append(batch[0].value.event_id)
            raise SinkBusy("sink full", settled={0: Outcome.done()})
        outcomes: list[Outcome] = []
        for record in batch:
            if record.value.event_id in self.reject:
                outcomes.append(Outcome.dead_letter(self.reason))
            else:
                self.handled.append(record.value.event_id)
                outcomes.append(Outcome.done())
        return outcomes
