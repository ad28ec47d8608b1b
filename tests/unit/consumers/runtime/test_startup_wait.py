"""The start-up wait policy: attempts, deadline, which errors are transient (a fake clock)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from elastic_transport import (
    ApiResponseMeta,
    ConnectionError,
    ConnectionTimeout,
    HttpHeaders,
    NodeConfig,
    TlsError,
)
from elasticsearch import ApiError, AuthenticationException, BadRequestError
from kafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TopicAuthorizationFailedError,
)
from newswire_testing.clock import FakeTime

from consumers.alerter.errors import StoreError
from consumers.runtime.loop import Handler
from consumers.runtime.service import ELASTICSEARCH, ConsumerService
from consumers.runtime.settings import ConsumerSettings
from consumers.runtime.startup import (
    DependencyWait,
    StartupAbandoned,
    StartupTimeoutError,
    StartupWaitPolicy,
    is_transient,
    wait_for_dependency,
)
from newswire.transport.kafka import TopicAdminError
from schemas.events import Event
from schemas.topics import EVENTS, TopicSpec


def _meta(status: int) -> ApiResponseMeta:
    node = NodeConfig("http", "127.0.0.1", 9200)
    return ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, node)


def _api_error(cls: type[ApiError], status: int) -> ApiError:
    return cls("refused", _meta(status), {"error": "x"})


def _wrapped(outer: Exception, inner: BaseException) -> Exception:
    try:
        raise outer from inner
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    "error",
    [
        ConnectionError("connection refused"),
        ConnectionTimeout("timed out"),
        ConnectionRefusedError(111, "refused"),
        TimeoutError("timed out"),
        KafkaTimeoutError("Unable to bootstrap from 127.0.0.1:9092"),
        KafkaConnectionError("reset"),
        _api_error(ApiError, 503),
        _api_error(ApiError, 502),
        _api_error(ApiError, 429),
        _wrapped(StoreError("cannot reach Elasticsearch"), ConnectionError("refused")),
        _wrapped(TopicAdminError("cannot reach Kafka"), KafkaTimeoutError("bootstrap")),
    ],
    ids=repr,
)
def test_connection_trouble_timeouts_and_5xx_are_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        _api_error(AuthenticationException, 401),
        _api_error(ApiError, 403),
        _api_error(BadRequestError, 400),
        _wrapped(StoreError("cannot create index"), _api_error(BadRequestError, 400)),
        TlsError("certificate verify failed"),
        SaslAuthenticationFailedError("bad password"),
        _wrapped(TopicAdminError("create"), TopicAuthorizationFailedError("denied")),
        ValueError("a bug"),
        StoreError("no cause at all"),
    ],
    ids=repr,
)
def test_bad_configuration_and_bugs_are_not_transient(error: BaseException) -> None:
    assert not is_transient(error)


def _failing(times: int, error: Callable[[], Exception]) -> tuple[Callable[[], str], list[int]]:
    calls = [0]

    def step() -> str:
        calls[0] += 1
        if calls[0] <= times:
            raise error()
        return "ready"

    return step, calls


def _wait(
    step: Callable[[], str],
    policy: StartupWaitPolicy,
    time: FakeTime,
    *,
    stage: str = "alerter",
    dependency: str = "elasticsearch",
    **options: Any,
) -> str:
    """``wait_for_dependency`` on the fake clock."""
    return wait_for_dependency(
        step,
        stage=stage,
        dependency=dependency,
        policy=policy,
        clock=time.clock,
        sleep=time.sleep,
        **options,
    )


def test_waits_with_growing_backoff_then_returns_once_the_dependency_answers() -> None:
    time = FakeTime()
    step, calls = _failing(4, lambda: ConnectionError("refused"))
    waits: list[DependencyWait] = []
    result = _wait(
        step,
        StartupWaitPolicy(180.0, initial_seconds=0.5, max_seconds=5.0),
        time,
        on_wait=waits.append,
        jitter=lambda: 1.0,
    )
    assert result == "ready"
    assert calls == [5]
    assert [w.attempt for w in waits] == [1, 2, 3, 4]
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert [w.delay for w in waits] == time.sleeps
    assert {(w.stage, w.dependency) for w in waits} == {("alerter", "elasticsearch")}
    assert waits[-1].elapsed == 3.5


def test_the_backoff_is_capped() -> None:
    policy = StartupWaitPolicy(1000.0, initial_seconds=0.5, max_seconds=5.0)
    assert policy.next_delay(20, 0.0, jitter=lambda: 1.0) == 5.0
    assert policy.next_delay(1, 0.0, jitter=lambda: 0.0) == 0.25


def test_past_the_deadline_a_clear_error_names_the_dependency() -> None:
    time = FakeTime()
    step, calls = _failing(10_000, lambda: KafkaTimeoutError("Unable to bootstrap"))
    with pytest.raises(StartupTimeoutError, match=r"kafka did not answer within 20 s") as info:
        _wait(
            step,
            StartupWaitPolicy(20.0, initial_seconds=1.0, max_seconds=4.0),
            time,
            stage="indexer",
            dependency="kafka",
            jitter=lambda: 1.0,
        )
    assert isinstance(info.value.__cause__, KafkaTimeoutError)
    # 1 + 2 + 4 + 4 + 4 + 4 = 19, then one second more to reach the deadline exactly.
    assert time.sleeps == [1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 1.0]
    assert time.now - 100.0 == 20.0
    assert calls == [8]


def test_the_deadline_is_shared_from_an_earlier_start() -> None:
    time = FakeTime()
    step, calls = _failing(10_000, lambda: ConnectionError("refused"))
    with pytest.raises(StartupTimeoutError):
        # The service started 10 s ago: nothing left.
        _wait(step, StartupWaitPolicy(10.0), time, started=time.now - 10.0)
    assert calls == [1]
    assert time.sleeps == []


def test_a_bad_configuration_fails_at_once_without_waiting() -> None:
    time = FakeTime()
    step, calls = _failing(5, lambda: _api_error(AuthenticationException, 401))
    with pytest.raises(AuthenticationException):
        _wait(step, StartupWaitPolicy(180.0), time)
    assert calls == [1]
    assert time.sleeps == []


def test_a_stop_request_during_the_wait_abandons_start_up() -> None:
    step, calls = _failing(5, lambda: ConnectionError("refused"))
    with pytest.raises(StartupAbandoned):
        wait_for_dependency(
            step,
            stage="alerter",
            dependency="elasticsearch",
            policy=StartupWaitPolicy(180.0),
            clock=lambda: 0.0,
            sleep=lambda seconds: False,
        )
    assert calls == [1]


class _NeverReady(ConsumerService[Event]):
    """A service whose set-up step always meets a refused connection (no network involved)."""

    stage = "probe"

    def __init__(self) -> None:
        super().__init__(ConsumerSettings(startup_wait_seconds=120.0))
        self.attempts = 0

    def topics(self) -> Sequence[TopicSpec]:
        return [EVENTS]

    def open_handler(self) -> Handler[Event]:
        def refused() -> Handler[Event]:
            self.attempts += 1
            raise ConnectionRefusedError(111, "Connection refused")

        return self.wait_for(ELASTICSEARCH, refused)

    def close(self) -> None:
        return None


def test_a_service_stopped_while_waiting_exits_0_and_its_gauge_falls_back() -> None:
    service = _NeverReady()
    service.stop()  # before run: the first wait ends at once
    assert service.run(1.0, install_signal_handlers=False) == 0
    assert service.attempts == 1
    labels = {"stage": "probe", "dependency": "elasticsearch"}
    metrics = service.consumer_metrics
    assert metrics.value("newswire_consumer_waiting_for_dependency", labels) == 0.0
    assert metrics.value("newswire_consumer_startup_attempts_failed_total", labels) == 1.0
    assert not service.ready.is_set()


def test_the_default_start_up_wait_is_at_least_two_minutes() -> None:
    assert ConsumerSettings().startup_wait_seconds >= 120
