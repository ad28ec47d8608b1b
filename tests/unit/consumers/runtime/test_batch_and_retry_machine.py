"""The consumer runtime's batch settlement and retry state machine, without Kafka."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from consumers.runtime.batch import check_outcomes, decode_batch
from consumers.runtime.errors import ConsumerError, HandlerContractError, SinkBusy
from consumers.runtime.records import Outcome
from consumers.runtime.retry import RetryPolicy, RetryWait, handle_until_settled
from schemas.topics import EVENTS

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "events" / "events.jsonl"


@dataclass(frozen=True)
class Message:
    """The fields of a polled message the runtime reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int | None = None


def messages() -> list[Message]:
    lines = FIXTURE.read_bytes().splitlines()
    return [
        Message(EVENTS.name, 0, 10, None, lines[0]),
        Message(EVENTS.name, 0, 11, b"k", b"not json"),
        Message(EVENTS.name, 1, 3, None, lines[1]),
        Message(EVENTS.name, 1, 4, None, None),
    ]


def test_a_batch_splits_valid_records_from_poison_and_counts_them_per_topic() -> None:
    batch = decode_batch(messages(), {EVENTS.name: EVENTS}, started=1.0)
    assert [(r.partition, r.offset) for r in batch.valid] == [(0, 10), (1, 3)]
    assert [(p.partition, p.offset) for p in batch.poison] == [(0, 11), (1, 4)]
    assert batch.consumed() == {EVENTS.name: 4}
    assert batch.invalid() == {EVENTS.name: 2}
    assert batch.started == 1.0


def test_settling_a_batch_letters_the_poison_then_the_rejected_records() -> None:
    batch = decode_batch(messages(), {EVENTS.name: EVENTS}, started=0.0)
    settlement = batch.settle([Outcome.done(), Outcome.dead_letter("HTTP 400")], "indexer")
    assert [(letter.offset, letter.stage) for letter in settlement.letters] == [
        (11, "indexer"),
        (4, "indexer"),
        (3, "indexer"),
    ]
    assert settlement.letters[-1].error == "HTTP 400"
    assert settlement.done == {EVENTS.name: 1}
    assert settlement.rejected == {EVENTS.name: 1}


def test_a_handler_answering_the_wrong_number_of_outcomes_breaks_the_contract() -> None:
    batch = decode_batch(messages(), {EVENTS.name: EVENTS}, started=0.0)
    with pytest.raises(HandlerContractError, match="1 outcomes for 2 records"):
        batch.settle([Outcome.done()], "indexer")
    check_outcomes("indexer", [Outcome.done()], 1)


class Script:
    """A handler answering from a script: a list of outcomes, or a push-back to raise."""

    def __init__(self, *steps: Sequence[Outcome] | SinkBusy) -> None:
        self.steps = list(steps)
        self.calls: list[list[int]] = []

    def __call__(self, pending: list[int]) -> Sequence[Outcome]:
        self.calls.append(list(pending))
        step = self.steps.pop(0)
        if isinstance(step, SinkBusy):
            raise step
        return step


POLICY = RetryPolicy(0.5, 4.0)


def test_only_the_records_a_push_back_left_unsettled_are_handed_again() -> None:
    done, bad = Outcome.done(), Outcome.dead_letter("bad")
    handle = Script(SinkBusy("429", settled={0: done, 2: bad}), SinkBusy("429"), [done])
    waits: list[RetryWait] = []

    def wait(retry: RetryWait) -> bool:
        waits.append(retry)
        return True

    outcomes = handle_until_settled(
        handle, 3, POLICY, wait=wait, stage="indexer", jitter=lambda: 1.0
    )
    assert outcomes == [done, done, bad]
    assert handle.calls == [[0, 1, 2], [1], [1]]
    assert [(w.attempt, w.delay, w.pending) for w in waits] == [(1, 0.5, (1,)), (2, 1.0, (1,))]


def test_a_push_back_from_an_earlier_call_starts_with_a_wait() -> None:
    handle = Script([Outcome.done()])
    waits: list[int] = []
    outcomes = handle_until_settled(
        handle,
        2,
        POLICY,
        wait=lambda retry: waits.append(retry.attempt) is None,
        stage="indexer",
        first_error=SinkBusy("503", settled={1: Outcome.done()}),
    )
    assert outcomes == [Outcome.done(), Outcome.done()]
    assert handle.calls == [[0]]
    assert waits == [1]


def test_a_stop_during_the_wait_abandons_the_batch() -> None:
    handle = Script(SinkBusy("429"))
    assert handle_until_settled(handle, 1, POLICY, wait=lambda _: False, stage="s") is None


def test_the_machine_gives_up_past_the_policy_attempts() -> None:
    handle = Script(SinkBusy("429"), SinkBusy("429"), SinkBusy("still 429"))
    with pytest.raises(ConsumerError, match="giving up after 2 retries: still 429"):
        handle_until_settled(
            handle, 1, RetryPolicy(0.1, 1.0, max_attempts=2), wait=lambda _: True, stage="s"
        )
    assert len(handle.calls) == 3


def test_no_push_back_means_one_call_and_no_wait() -> None:
    handle = Script([Outcome.done(), Outcome.dead_letter("x")])

    def wait(retry: RetryWait) -> bool:
        raise AssertionError("no wait expected")

    outcomes = handle_until_settled(handle, 2, POLICY, wait=wait, stage="s")
    assert outcomes == [Outcome.done(), Outcome.dead_letter("x")]
    with pytest.raises(HandlerContractError):
        handle_until_settled(Script([Outcome.done()]), 2, POLICY, wait=wait, stage="s")
