"""The verdict of ``newswire status``: only unreachable services make it unhealthy."""

from __future__ import annotations

from newswire.status import PipelineStatus


def test_warnings_alone_keep_it_healthy() -> None:
    status = PipelineStatus(dead_letters={"news.events.v1": 2}, warnings=["2 dead letter(s)"])
    assert status.healthy
    assert status.verdict == "healthy, with warnings: 2 dead letter(s)"
    assert status.to_json()["dead_letters"] == {"news.events.v1": 2}


def test_a_problem_makes_it_unhealthy_and_says_what() -> None:
    status = PipelineStatus(problems=["Kafka unreachable at 127.0.0.1:1"], warnings=["lag"])
    assert not status.healthy
    assert status.to_json()["healthy"] is False
    assert status.verdict == "unhealthy: Kafka unreachable at 127.0.0.1:1"


def test_all_good_is_healthy() -> None:
    assert PipelineStatus().verdict == "healthy"
