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


# -- secrets never in error text; stack.env per service; empty variables; GSSAPI; trust store --
SECRET = "pw-that-must-not-print-7f3a"


def test_settings_errors_do_not_quote_the_passwords_given(monkeypatch: pytest.MonkeyPatch) -> None:
    import pydantic

    _no_env(monkeypatch, "NEWSWIRE_KAFKA_")
    _no_env(monkeypatch, "NEWSWIRE_ES_")
    with pytest.raises(pydantic.ValidationError) as kafka_error:
        KafkaSettings(  # type: ignore[call-arg]
            _env_file=None,
            security_protocol="SASL_SSL",
            sasl_mechanism="PLAIN",
            sasl_password=SECRET,
        )
    assert "needs NEWSWIRE_KAFKA_SASL_USERNAME" in str(kafka_error.value)
    monkeypatch.setenv("NEWSWIRE_ES_PASSWORD", SECRET)
    with pytest.raises(pydantic.ValidationError) as es_error:
        ElasticsearchSettings(_env_file=None)  # type: ignore[call-arg]
    assert "go together" in str(es_error.value)
    for error in (kafka_error.value, es_error.value):
        assert SECRET not in str(error) and SECRET not in repr(error)


def _settings_classes() -> list[type]:
    """Every settings class of newswire/ and consumers/ (their modules imported first)."""
    import importlib
    import pkgutil

    import pydantic_settings

    import consumers
    import newswire

    for package in (newswire, consumers):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    found: list[type] = []
    todo: list[type] = [pydantic_settings.BaseSettings]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith(("newswire.", "consumers.")):
                found.append(sub)
    return found


def _holds_secrets(cls: type, seen: frozenset[type] = frozenset()) -> bool:
    import typing

    import pydantic

    fields: dict[str, pydantic.fields.FieldInfo] = getattr(cls, "model_fields", {})
    for info in fields.values():
        for part in (info.annotation, *typing.get_args(info.annotation)):
            if part is pydantic.SecretStr:
                return True
            nested = isinstance(part, type) and issubclass(part, pydantic.BaseModel)
            if nested and part not in seen and _holds_secrets(part, seen | {cls}):
                return True
    return False


def test_every_settings_class_holding_a_secret_hides_its_input_in_errors() -> None:
    holding = [cls for cls in _settings_classes() if _holds_secrets(cls)]
    names = {cls.__name__ for cls in holding}
    # The scan finds the known ones (it would pass vacuously if it found none).
    assert {"KafkaSettings", "ElasticsearchSettings", "AlerterSettings", "SearchSettings"} <= names
    leaking = [cls.__name__ for cls in holding if not cls.model_config.get("hide_input_in_errors")]
    assert leaking == []


STACK_ENV = f"""\
NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1111
NEWSWIRE_KAFKA_SECURITY_PROTOCOL=SASL_SSL
NEWSWIRE_KAFKA_SASL_MECHANISM=SCRAM-SHA-512
NEWSWIRE_KAFKA_SASL_USERNAME=local-user
NEWSWIRE_KAFKA_SASL_PASSWORD={SECRET}
NEWSWIRE_ES_URL=https://127.0.0.1:2222
NEWSWIRE_ES_USERNAME=local-user
NEWSWIRE_ES_PASSWORD={SECRET}
"""


@pytest.fixture
def secured_stack_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A secured local stack's ``stack.env``, and no NEWSWIRE_KAFKA_/NEWSWIRE_ES_ variable."""
    _no_env(monkeypatch, "NEWSWIRE_KAFKA_")
    _no_env(monkeypatch, "NEWSWIRE_ES_")
    env_file = tmp_path / "stack.env"
    env_file.write_text(STACK_ENV)
    return env_file


def test_stack_env_gives_a_service_everything_when_the_environment_names_no_address(
    secured_stack_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = secured_stack_env
    monkeypatch.setenv("NEWSWIRE_KAFKA_CLIENT_ID", "mine")  # not an address: the file still applies
    kafka = KafkaSettings(_env_file=env_file)  # type: ignore[call-arg]
    assert (kafka.bootstrap_servers, kafka.security_protocol) == ("127.0.0.1:1111", "SASL_SSL")
    assert kafka.sasl_username == "local-user" and kafka.client_id == "mine"
    assert kafka.sasl_password is not None and kafka.sasl_password.get_secret_value() == SECRET
    es = ElasticsearchSettings(_env_file=env_file)  # type: ignore[call-arg]
    assert (es.url, es.username) == ("https://127.0.0.1:2222", "local-user")


def test_stack_env_gives_nothing_to_a_service_whose_address_the_environment_sets(
    secured_stack_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = secured_stack_env
    monkeypatch.setenv("NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS", "prod:9092")
    monkeypatch.setenv("NEWSWIRE_ES_URL", "https://prod:9200")
    kafka = KafkaSettings(_env_file=env_file)  # type: ignore[call-arg]
    assert kafka.bootstrap_servers == "prod:9092"
    assert (kafka.security_protocol, kafka.sasl_username, kafka.sasl_password) == (
        "PLAINTEXT",
        None,
        None,
    )
    assert SECRET not in str(kafka.client_options())
    es = ElasticsearchSettings(_env_file=env_file)  # type: ignore[call-arg]
    assert (es.url, es.username, es.password, es.ca_certs) == (
        "https://prod:9200",
        None,
        None,
        None,
    )
    assert "basic_auth" not in es.client_options() and "auth" not in es.http_options()
    # Per service: ES named elsewhere still leaves Kafka to the file, and an argument counts too.
    monkeypatch.delenv("NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS")
    assert KafkaSettings(_env_file=env_file).sasl_username == "local-user"  # type: ignore[call-arg]
    named = KafkaSettings(_env_file=env_file, bootstrap_servers="other:9092")  # type: ignore[call-arg]
    assert named.sasl_username is None
    # An empty address variable is unset: the file applies again.
    monkeypatch.setenv("NEWSWIRE_ES_URL", "")
    assert ElasticsearchSettings(_env_file=env_file).username == "local-user"  # type: ignore[call-arg]


def test_set_but_empty_variables_count_as_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_env(monkeypatch, "NEWSWIRE_KAFKA_")
    _no_env(monkeypatch, "NEWSWIRE_ES_")
    for name in (
        "NEWSWIRE_ES_USERNAME",
        "NEWSWIRE_ES_CA_CERTS",
        "NEWSWIRE_KAFKA_SSL_CAFILE",
        "NEWSWIRE_KAFKA_SECURITY_PROTOCOL",
        "NEWSWIRE_ES_REQUEST_TIMEOUT",  # an old name, read by another source
    ):
        monkeypatch.setenv(name, "")
    kafka = KafkaSettings(_env_file=None)  # type: ignore[call-arg]
    assert (kafka.security_protocol, kafka.ssl_cafile) == ("PLAINTEXT", None)
    es = ElasticsearchSettings(_env_file=None)  # type: ignore[call-arg]
    assert (es.username, es.ca_certs, es.request_timeout_seconds) == (None, None, 30.0)


def test_gssapi_needs_no_username_or_password(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_env(monkeypatch, "NEWSWIRE_KAFKA_")
    monkeypatch.setenv("NEWSWIRE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("NEWSWIRE_KAFKA_SASL_MECHANISM", "gssapi")
    settings = KafkaSettings(_env_file=None)  # type: ignore[call-arg]
    options = settings.client_options()
    assert options["sasl_mechanism"] == "GSSAPI"
    assert "sasl_plain_username" not in options and "sasl_plain_password" not in options
    assert settings.address() == "127.0.0.1:9092 (SASL_SSL, GSSAPI)"


def test_https_without_a_ca_verifies_against_the_system_trust_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_env(monkeypatch, "NEWSWIRE_ES_")
    monkeypatch.setenv("NEWSWIRE_ES_URL", "https://es.example:9200")
    settings = ElasticsearchSettings(_env_file=None)  # type: ignore[call-arg]
    system = ssl.create_default_context().cert_store_stats()
    for context in (settings.http_options()["verify"], settings.client_options()["ssl_context"]):
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert context.cert_store_stats() == system
    monkeypatch.setenv("NEWSWIRE_ES_URL", "http://es.example:9200")
    plain = ElasticsearchSettings(_env_file=None)  # type: ignore[call-arg]
    assert "verify" not in plain.http_options() and "ssl_context" not in plain.client_options()
