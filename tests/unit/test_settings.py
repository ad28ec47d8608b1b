"""Settings objects: environment over the stack's env file, secrets never printed."""

from __future__ import annotations

import ssl
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


def _no_env(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    import os

    for key in list(os.environ):
        if key.startswith(prefix):
            monkeypatch.delenv(key)


def test_a_secured_kafka_is_configured_from_the_environment_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_env(monkeypatch, "NEWSWIRE_KAFKA_")
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    for key, value in {
        "BOOTSTRAP_SERVERS": "broker-1:9093",
        "SECURITY_PROTOCOL": "sasl_ssl",
        "SASL_MECHANISM": "scram-sha-512",
        "SASL_USERNAME": "newswire",
        "SASL_PASSWORD": "kafka-s3cret",
        "SSL_CAFILE": str(ca),
    }.items():
        monkeypatch.setenv(f"NEWSWIRE_KAFKA_{key}", value)
    settings = KafkaSettings(_env_file=None)  # type: ignore[call-arg]
    assert "kafka-s3cret" not in repr(settings)
    options = settings.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "newswire"
    assert options["sasl_plain_password"] == "kafka-s3cret"
    assert options["ssl_cafile"] == str(ca)
    # Errors name the login tried (a refused SASL login looks like a lost connection).
    assert "SCRAM-SHA-512 as 'newswire'" in settings.address()
    assert "kafka-s3cret" not in settings.address()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"security_protocol": "TLS"}, "must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
        ({"security_protocol": "SASL_SSL"}, "SASL_SSL needs NEWSWIRE_KAFKA_SASL_MECHANISM"),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_username": "u"},
            "needs NEWSWIRE_KAFKA_SASL_USERNAME and NEWSWIRE_KAFKA_SASL_PASSWORD",
        ),
        ({"sasl_mechanism": "PLAIN"}, "the security protocol is PLAINTEXT"),
        ({"ssl_cafile": "/nonexistent/ca.crt"}, "ssl_cafile"),
    ],
)
def test_kafka_security_settings_that_cannot_work_are_refused(
    values: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_env(monkeypatch, "NEWSWIRE_KAFKA_")
    with pytest.raises(ValueError, match=message):
        KafkaSettings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


def test_elasticsearch_takes_a_ca_and_an_api_key_that_wins_over_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newswire.stack.security import SecurityLayout, generate_certificates

    _no_env(monkeypatch, "NEWSWIRE_ES_")
    generate_certificates(SecurityLayout(tmp_path))
    ca = SecurityLayout(tmp_path).ca_cert
    monkeypatch.setenv("NEWSWIRE_ES_URL", "https://es.example:9200")
    monkeypatch.setenv("NEWSWIRE_ES_CA_CERTS", str(ca))
    monkeypatch.setenv("NEWSWIRE_ES_USERNAME", "newswire")
    monkeypatch.setenv("NEWSWIRE_ES_PASSWORD", "es-s3cret")
    monkeypatch.setenv("NEWSWIRE_ES_API_KEY", "a2V5LWlkOmtleQ==")
    settings = ElasticsearchSettings(_env_file=None)  # type: ignore[call-arg]
    assert "a2V5LWlkOmtleQ==" not in repr(settings) and "es-s3cret" not in repr(settings)
    options = settings.client_options()
    assert options["api_key"] == "a2V5LWlkOmtleQ=="
    assert "basic_auth" not in options
    assert options["ca_certs"] == str(ca)
    http = settings.http_options()
    assert http["headers"] == {"Authorization": "ApiKey a2V5LWlkOmtleQ=="}
    assert http["verify"].verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"username": "newswire"}, "NEWSWIRE_ES_USERNAME and NEWSWIRE_ES_PASSWORD go together"),
        ({"password": "p"}, "NEWSWIRE_ES_USERNAME and NEWSWIRE_ES_PASSWORD go together"),
        ({"url": "es.example:9200"}, "must start with http:// or https://"),
        ({"ca_certs": "/nonexistent/ca.crt"}, "ca_certs"),
    ],
)
def test_elasticsearch_settings_that_cannot_work_are_refused(
    values: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_env(monkeypatch, "NEWSWIRE_ES_")
    with pytest.raises(ValueError, match=message):
        ElasticsearchSettings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


def test_stack_security_is_switched_on_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NEWSWIRE_STACK_SECURITY", raising=False)
    assert StackSettings().security is None  # as the stack was created (off for a new one)
    monkeypatch.setenv("NEWSWIRE_STACK_SECURITY", "on")
    assert StackSettings().security is True
    monkeypatch.setenv("NEWSWIRE_STACK_SECURITY", "off")
    assert StackSettings().security is False
