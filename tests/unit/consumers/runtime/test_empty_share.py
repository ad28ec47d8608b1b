"""An empty partition share makes the member join again, a bounded number of times."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from kafka.structs import TopicPartition

from consumers.runtime import ConsumedRecord, ConsumerRuntime, ConsumerSettings, Outcome
from schemas.events import Event
from schemas.topics import EVENTS


class _Handler:
    stage = "test-stage"

    def handle(self, batch: Sequence[ConsumedRecord[Event]]) -> Sequence[Outcome]:
        return [Outcome.done() for _ in batch]


class _Consumer:
    """Records subscription calls; the runtime only unsubscribes and subscribes here."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def unsubscribe(self) -> None:
        self.calls.append("unsubscribe")

    def subscribe(self, topics: Sequence[str], listener: Any) -> None:
        self.calls.append("subscribe:" + ",".join(topics))


def _runtime(rejoins: int) -> tuple[ConsumerRuntime[Event], _Consumer]:
    settings = ConsumerSettings(empty_share_rejoin_seconds=0.01, empty_share_rejoins=rejoins)
    runtime: ConsumerRuntime[Event] = ConsumerRuntime([EVENTS], _Handler(), settings)
    consumer = _Consumer()
    runtime._consumer = consumer  # type: ignore[assignment]
    return runtime, consumer


def _wait_and_check(runtime: ConsumerRuntime[Event], seconds: float) -> None:
    time.sleep(seconds)
    runtime._rejoin_after_empty_share()


def test_an_empty_share_leads_to_a_new_subscription_after_the_wait() -> None:
    runtime, consumer = _runtime(rejoins=3)
    runtime._on_assigned([])
    runtime._rejoin_after_empty_share()
    assert consumer.calls == [], "no rejoin before the wait"
    _wait_and_check(runtime, 0.02)
    assert consumer.calls == ["unsubscribe", f"subscribe:{EVENTS.name}"]


def test_rejoins_stop_at_the_bound_and_once_partitions_arrive() -> None:
    runtime, consumer = _runtime(rejoins=2)
    runtime._on_assigned([])
    for _ in range(4):
        _wait_and_check(runtime, 0.05)
    assert consumer.calls.count("unsubscribe") == 2

    runtime, consumer = _runtime(rejoins=3)
    runtime._on_assigned([])
    runtime._on_assigned([TopicPartition(EVENTS.name, 0)])
    _wait_and_check(runtime, 0.05)
    assert consumer.calls == [], "a real share ends the waiting"
