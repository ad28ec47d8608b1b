"""Settings objects: environment over the stack's env file, secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.settings import ElasticsearchSettings, KafkaSettings, StackSettings


def test_the_stack_env_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "stack.env"
    env_file.write_text(
        "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1111\nNEWSWIRE_ES_URL=http://127.0.0.1:2222\n"
    )
    monkeypatch.delenv("NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("NEWSWIRE_ES_URL", raising=False)
    assert KafkaSettings(_env_file=env_file).bootstrap_servers == "127.0.0.1:1111"  # type: ignore[call-arg]
    monkeypatch.setenv("NEWSWIRE_ES_URL", "http://127.0.0.1:3333")
    assert ElasticsearchSettings(_env_file=env_file).url == "http://127.0.0.1:3333"  # type: ignore[call-arg]


def test_secrets_are_hidden_in_reprs_and_given_to_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_ES_USERNAME", "elastic")
    monkeypatch.setenv("NEWSWIRE_ES_PASSWORD", "s3cret-value")
    settings = ElasticsearchSettings(_env_file=None)  # type: ignore[call-arg]
    assert "s3cret-value" not in repr(settings)
    assert settings.client_options()["basic_auth"] == ("elastic", "s3cret-value")


def test_kafka_client_options_split_bootstrap_servers() -> None:
    options = KafkaSettings(bootstrap_servers="a:1,b:2", _env_file=None).client_options()  # type: ignore[call-arg]
    assert options["bootstrap_servers"] == ["a:1", "b:2"]
    assert "sasl_mechanism" not in options


def test_stack_home_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWIRE_STACK_HOME", str(tmp_path / "stack"))
    monkeypatch.setenv("NEWSWIRE_STACK_ELASTICSEARCH_HEAP_MB", "768")
    settings = StackSettings()
    assert settings.home == tmp_path / "stack"
    assert settings.elasticsearch_heap_mb == 768
    monkeypatch.setenv("NEWSWIRE_STACK_ELASTICSEARCH_HEAP_MB", "4096")
    with pytest.raises(ValueError, match="less than or equal to 1024"):
        StackSettings()


def test_renamed_duration_fields_still_read_their_old_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consumers.indexer.settings import IndexerSettings
    from newswire.search.settings import SearchSettings

    monkeypatch.setenv("NEWSWIRE_INDEXER_BULK_TIMEOUT_S", "12.5")
    monkeypatch.setenv("NEWSWIRE_INDEXER_RETRY_MAX_BACKOFF_S", "7")
    monkeypatch.setenv("NEWSWIRE_SEARCH_TIMEOUT_S", "3")
    monkeypatch.setenv("NEWSWIRE_ES_REQUEST_TIMEOUT", "11")
    indexer = IndexerSettings(_env_file=None)  # type: ignore[call-arg]
    assert (indexer.bulk_timeout_seconds, indexer.retry_max_backoff_seconds) == (12.5, 7.0)
    assert SearchSettings(_env_file=None).timeout_seconds == 3.0  # type: ignore[call-arg]
    assert ElasticsearchSettings(_env_file=None).request_timeout_seconds == 11.0  # type: ignore[call-arg]
    # The new name wins over the old one.
    monkeypatch.setenv("NEWSWIRE_INDEXER_BULK_TIMEOUT_SECONDS", "20")
    assert IndexerSettings(_env_file=None).bulk_timeout_seconds == 20.0  # type: ignore[call-arg]


def test_every_settings_object_is_frozen() -> None:
    import pydantic

    from consumers.alerter.settings import AlerterSettings
    from consumers.indexer.settings import IndexerSettings
    from consumers.runtime.settings import ConsumerSettings
    from newswire.extract.settings import ExtractSettings
    from newswire.ingest.settings import IngestSettings
    from newswire.search.settings import SearchSettings
    from newswire.settings import ElasticsearchSettings, KafkaSettings, StackSettings

    for cls in (
        AlerterSettings,
        IndexerSettings,
        ConsumerSettings,
        ExtractSettings,
        IngestSettings,
        SearchSettings,
        ElasticsearchSettings,
        KafkaSettings,
        StackSettings,
    ):
        instance = cls()
        field = next(iter(cls.model_fields))
        with pytest.raises(pydantic.ValidationError, match="frozen"):
            setattr(instance, field, getattr(instance, field))
