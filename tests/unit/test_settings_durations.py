"""Durations are settings in seconds; the old millisecond names still work, converted."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from consumers.alerter.settings import AlerterSettings
from consumers.indexer.settings import IndexerSettings
from consumers.runtime.settings import ConsumerSettings
from newswire.settings import KafkaSettings, milliseconds


@dataclass(frozen=True)
class OldName:
    """An old millisecond variable, a value of it, and the field it sets in seconds."""

    cls: type[ConsumerSettings | KafkaSettings]
    variable: str
    milliseconds: str
    field: str
    seconds: float


OLD_MILLISECOND_NAMES = [
    OldName(
        ConsumerSettings, "NEWSWIRE_CONSUMER_POLL_TIMEOUT_MS", "250", "poll_timeout_seconds", 0.25
    ),
    OldName(
        ConsumerSettings,
        "NEWSWIRE_CONSUMER_MAX_POLL_INTERVAL_MS",
        "120000",
        "max_poll_interval_seconds",
        120.0,
    ),
    OldName(
        ConsumerSettings,
        "NEWSWIRE_CONSUMER_SESSION_TIMEOUT_MS",
        "45000",
        "session_timeout_seconds",
        45.0,
    ),
    OldName(
        ConsumerSettings,
        "NEWSWIRE_CONSUMER_HEARTBEAT_INTERVAL_MS",
        "1500",
        "heartbeat_interval_seconds",
        1.5,
    ),
    OldName(
        ConsumerSettings,
        "NEWSWIRE_CONSUMER_COMMIT_TIMEOUT_MS",
        "7000",
        "commit_timeout_seconds",
        7.0,
    ),
    OldName(
        ConsumerSettings,
        "NEWSWIRE_CONSUMER_METADATA_MAX_AGE_MS",
        "600000",
        "metadata_max_age_seconds",
        600.0,
    ),
    OldName(
        ConsumerSettings, "NEWSWIRE_CONSUMER_CLOSE_TIMEOUT_MS", "2500", "close_timeout_seconds", 2.5
    ),
    OldName(
        KafkaSettings, "NEWSWIRE_KAFKA_REQUEST_TIMEOUT_MS", "4000", "request_timeout_seconds", 4.0
    ),
]
each_old_name = pytest.mark.parametrize(
    "old", OLD_MILLISECOND_NAMES, ids=[old.variable for old in OLD_MILLISECOND_NAMES]
)


def _no_env(monkeypatch: pytest.MonkeyPatch, *prefixes: str) -> None:
    for key in list(os.environ):
        if key.startswith(prefixes):
            monkeypatch.delenv(key)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_env(
        monkeypatch,
        "NEWSWIRE_CONSUMER_",
        "NEWSWIRE_KAFKA_",
        "NEWSWIRE_INDEXER_",
        "NEWSWIRE_ALERTER_",
    )


@each_old_name
def test_an_old_millisecond_variable_sets_its_field_in_seconds(
    monkeypatch: pytest.MonkeyPatch, old: OldName
) -> None:
    monkeypatch.setenv(old.variable, old.milliseconds)
    settings = old.cls(_env_file=None)  # type: ignore[call-arg]
    assert getattr(settings, old.field) == pytest.approx(old.seconds)


@each_old_name
def test_the_new_seconds_variable_wins_over_the_old_one(
    monkeypatch: pytest.MonkeyPatch, old: OldName
) -> None:
    monkeypatch.setenv(old.variable, old.milliseconds)
    monkeypatch.setenv(old.variable.removesuffix("_MS") + "_SECONDS", "9.5")
    assert getattr(old.cls(_env_file=None), old.field) == 9.5  # type: ignore[call-arg]


def test_each_service_reads_the_old_names_under_its_own_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSWIRE_INDEXER_POLL_TIMEOUT_MS", "200")
    monkeypatch.setenv("NEWSWIRE_ALERTER_SESSION_TIMEOUT_MS", "20000")
    assert IndexerSettings(_env_file=None).poll_timeout_seconds == 0.2  # type: ignore[call-arg]
    assert AlerterSettings(_env_file=None).session_timeout_seconds == 20.0  # type: ignore[call-arg]


def test_an_old_name_given_as_an_argument_is_converted_too() -> None:
    settings = ConsumerSettings(poll_timeout_ms=200, close_timeout_ms=1500)  # type: ignore[call-arg]
    assert (settings.poll_timeout_seconds, settings.close_timeout_seconds) == (0.2, 1.5)
    # The new name wins when both are given.
    both = ConsumerSettings(poll_timeout_ms=200, poll_timeout_seconds=1.0)  # type: ignore[call-arg]
    assert both.poll_timeout_seconds == 1.0


def test_an_old_value_that_is_not_a_number_is_refused_under_the_new_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSWIRE_CONSUMER_POLL_TIMEOUT_MS", "soon")
    with pytest.raises(ValueError, match="poll_timeout_seconds"):
        ConsumerSettings(_env_file=None)  # type: ignore[call-arg]


def test_kafka_clients_get_the_durations_in_whole_milliseconds() -> None:
    kafka = KafkaSettings(_env_file=None, request_timeout_seconds=2.5)  # type: ignore[call-arg]
    assert kafka.client_options()["request_timeout_ms"] == 2500
    assert milliseconds(1.005) == 1005
    assert milliseconds(0.29) == 290
