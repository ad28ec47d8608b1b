"""``AirflowClient.wait_for_run`` rides out a slow or briefly failing api-server until its deadline."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from newswire.airflow.client import AirflowClient, is_transient
from newswire.airflow.errors import AirflowApiError

Answer = Callable[[], httpx.Response]


def client_answering(answers: list[Answer]) -> tuple[AirflowClient, list[str]]:
    """A client whose run polls get ``answers`` in turn (the login always succeeds)."""
    polls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(201, json={"access_token": "t"})
        polls.append(request.url.path)
        return answers[min(len(polls), len(answers)) - 1]()

    client = AirflowClient("http://airflow.test", "u", "p", transport=httpx.MockTransport(handle))
    return client, polls


def state(value: str) -> Answer:
    return lambda: httpx.Response(200, json={"dag_run_id": "r", "state": value})


def timeout() -> httpx.Response:
    raise httpx.ReadTimeout("api-server stalled")


def test_a_timed_out_poll_and_a_database_error_are_polled_again() -> None:
    def busy() -> httpx.Response:
        return httpx.Response(500, text=json.dumps({"detail": "Database error"}))

    client, polls = client_answering([state("running"), timeout, busy, state("success")])
    with client:
        run = client.wait_for_run("ingest_news", "r", timeout_seconds=30, poll_seconds=0)
    assert run["state"] == "success"
    assert len(polls) == 4


def test_a_refusal_that_repeating_cannot_fix_ends_the_wait_at_once() -> None:
    def missing() -> httpx.Response:
        return httpx.Response(404, json={"detail": "no such run"})

    client, polls = client_answering([missing, state("success")])
    with client, pytest.raises(AirflowApiError) as caught:
        client.wait_for_run("ingest_news", "r", timeout_seconds=30, poll_seconds=0)
    assert caught.value.status_code == 404
    assert len(polls) == 1


def test_the_deadline_still_ends_a_wait_that_only_sees_failures() -> None:
    client, polls = client_answering([timeout])
    with client, pytest.raises(AirflowApiError, match=r"still unknown .*api-server stalled"):
        client.wait_for_run("ingest_news", "r", timeout_seconds=0, poll_seconds=0)
    assert len(polls) == 1


@pytest.mark.parametrize(
    ("status_code", "transient"),
    [(None, True), (500, True), (503, True), (404, False), (409, False)],
)
def test_transient_means_no_answer_or_a_server_error(
    status_code: int | None, transient: bool
) -> None:
    assert is_transient(AirflowApiError("x", status_code=status_code)) is transient
