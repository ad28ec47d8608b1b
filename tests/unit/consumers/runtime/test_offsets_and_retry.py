"""The runtime's pure parts split out of the loop: the commit calculator and the retry policy."""

from __future__ import annotations

from consumers.runtime.decode import DecodeFailure
from consumers.runtime.dlq import DeadLetter
from consumers.runtime.offsets import consumer_lag, plan_commit
from consumers.runtime.records import ConsumedRecord, Outcome
from consumers.runtime.retry import RetryPolicy, settle
from schemas.base import Contract


def test_each_partition_commits_one_past_its_highest_offset() -> None:
    plan = plan_commit(
        [("t", 0, 5), ("t", 0, 3), ("t", 1, 9), ("u", 0, 0)], owned={("t", 0), ("t", 1), ("u", 0)}
    )
    assert plan.offsets == {("t", 0): 6, ("t", 1): 10, ("u", 0): 1}
    assert plan.moved == ()


def test_a_partition_that_moved_during_the_batch_is_left_to_its_new_owner() -> None:
    plan = plan_commit([("t", 0, 5), ("t", 2, 7), ("t", 1, 1)], owned={("t", 0)})
    assert plan.offsets == {("t", 0): 6}
    assert plan.moved == (("t", 1), ("t", 2))


def test_an_empty_batch_commits_nothing() -> None:
    assert plan_commit([], owned={("t", 0)}).offsets == {}


def test_lag_is_what_lies_between_position_and_high_water_mark_never_negative() -> None:
    assert consumer_lag(120, 100) == 20
    assert consumer_lag(100, 100) == 0
    assert consumer_lag(99, 100) == 0


def test_the_policy_gives_up_only_past_its_attempts_and_never_without_a_limit() -> None:
    limited = RetryPolicy(0.5, 30.0, max_attempts=3)
    assert [limited.gives_up(n) for n in (1, 3, 4)] == [False, False, True]
    assert not RetryPolicy(0.5, 30.0).gives_up(10_000)


def test_the_policy_waits_within_equal_jitter_of_a_doubling_capped_ceiling() -> None:
    policy = RetryPolicy(0.5, 4.0)
    assert [policy.delay(n, jitter=lambda: 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [policy.delay(n, jitter=lambda: 0.0) for n in range(1, 4)] == [0.25, 0.5, 1.0]


def test_settle_keeps_only_the_records_the_push_back_left_unsettled() -> None:
    results: dict[int, Outcome] = {}
    # Records 1, 4 and 6 of a batch were pending; the handler settled its 0th and 2nd of them.
    pending = settle([1, 4, 6], {0: Outcome.done(), 2: Outcome.dead_letter("bad")}, results)
    assert pending == [4]
    assert results == {1: Outcome.done(), 6: Outcome.dead_letter("bad")}


def test_dead_letters_keep_the_provenance_of_a_poison_message_and_of_a_rejected_record() -> None:
    failure = DecodeFailure("t", 2, 40, b"k", b"{}", "invalid Event: x: Field required")
    poison = DeadLetter.undecodable(failure, "indexer")
    assert (poison.topic, poison.partition, poison.offset, poison.key, poison.raw) == (
        "t",
        2,
        40,
        b"k",
        b"{}",
    )
    assert (poison.stage, poison.error) == ("indexer", "invalid Event: x: Field required")
    record: ConsumedRecord[Contract] = ConsumedRecord("t", 1, 7, "event-1", Contract(), b'{"a": 1}')
    rejected = DeadLetter.rejected(record, "alerter", None)
    assert (rejected.key, rejected.raw, rejected.offset) == (b"event-1", b'{"a": 1}', 7)
    assert rejected.error == "rejected by the handler"
    assert DeadLetter.rejected(record, "alerter", "HTTP 400").error == "HTTP 400"
