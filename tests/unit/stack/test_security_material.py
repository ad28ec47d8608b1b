"""The secured stack's certificates, password hashes and server settings (no servers run)."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from newswire.settings import StackSettings
from newswire.stack import StackManager, security
from newswire.stack.elasticsearch import ElasticsearchLayout, NodeSecurity, elasticsearch_yml
from newswire.stack.errors import StackError
from newswire.stack.kafka import BrokerSecurity, KafkaLayout, redact, server_properties
from newswire.stack.manager import StackState, status_json


def test_the_server_certificate_is_for_loopback_and_verifies_against_the_ca(
    tmp_path: Path,
) -> None:
    layout = security.SecurityLayout(tmp_path)
    credentials = security.load_or_create(layout)
    cert = x509.load_pem_x509_certificate(layout.server_cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    # What Python's TLS clients check (strict X.509 included): the chain loads and verifies.
    context = ssl.create_default_context(cafile=str(layout.ca_cert))
    context.load_cert_chain(layout.server_cert, layout.server_key)
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(layout.ca_cert.read_bytes()))
    for private in (layout.ca_key, layout.server_key, layout.credentials):
        assert private.stat().st_mode & 0o777 == 0o600
    # Generated once: a second call returns the same secrets and keeps the certificates.
    before = layout.server_cert.read_bytes()
    assert security.load_or_create(layout) == credentials
    assert layout.server_cert.read_bytes() == before
    assert len({credentials.es_password, credentials.kafka_password}) == 2


def test_the_file_realm_hash_is_pbkdf2_sha512_of_the_password() -> None:
    text = security.pbkdf2_hash("correct horse", iterations=1000)
    prefix, salt, digest = text.split("$")
    assert prefix == "{PBKDF2}1000"
    expected = hashlib.pbkdf2_hmac(
        "sha512", b"correct horse", base64.b64decode(salt), 1000, dklen=32
    )
    assert base64.b64decode(digest) == expected
    assert security.pbkdf2_hash("correct horse") != security.pbkdf2_hash("correct horse")


def test_a_secured_node_turns_on_tls_on_http_and_keeps_files_in_its_config(
    tmp_path: Path,
) -> None:
    pem_files = (tmp_path / name for name in ("ca.crt", "server.crt", "server.key"))
    node = NodeSecurity(*pem_files, users="", users_roles="", roles="")
    text = elasticsearch_yml(
        ElasticsearchLayout(tmp_path), http_port=19200, transport_port=19300, security=node
    )
    secured = {
        "xpack.security.enabled": "true",
        "xpack.security.http.ssl.enabled": "true",
        "xpack.security.http.ssl.key": "certs/server.key",
        "xpack.security.http.ssl.certificate_authorities": "certs/ca.crt",
    }
    assert secured.items() <= dict(line.split(": ", 1) for line in text.splitlines()).items()
    plain = elasticsearch_yml(ElasticsearchLayout(tmp_path), http_port=1, transport_port=2)
    assert "xpack.security.enabled: false" in plain


def test_a_secured_broker_listens_with_sasl_ssl_only(tmp_path: Path) -> None:
    broker = BrokerSecurity(
        keystore=tmp_path / "server.pem",
        truststore=tmp_path / "ca.crt",
        mechanism="SCRAM-SHA-512",
        admin_username="admin",
        admin_password="pw",
        scram_arguments=(),
    )
    text = server_properties(
        KafkaLayout(tmp_path), broker_port=19092, controller_port=19093, security=broker
    )
    props = dict(line.split("=", 1) for line in text.splitlines())
    assert props["listeners"] == "SASL_SSL://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["inter.broker.listener.name"] == "SASL_SSL"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert (
        'username="admin" password="pw";'
        in props["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"]
    )
    assert props["ssl.keystore.type"] == "PEM"


def test_the_client_settings_of_a_secured_stack_carry_credentials_and_the_ca(
    tmp_path: Path,
) -> None:
    layout = security.SecurityLayout(tmp_path)
    credentials = security.load_or_create(layout)
    kafka, es = security.client_settings(
        "127.0.0.1:1", "https://127.0.0.1:2", layout=layout, credentials=credentials
    )
    lines = security.environment_lines(kafka, es)
    assert "NEWSWIRE_KAFKA_SECURITY_PROTOCOL=SASL_SSL" in lines
    assert f"NEWSWIRE_ES_PASSWORD={credentials.es_password}" in lines
    assert f"NEWSWIRE_ES_CA_CERTS={layout.ca_cert}" in lines
    plain_kafka, plain_es = security.client_settings(
        "127.0.0.1:1", "http://127.0.0.1:2", layout=None, credentials=None
    )
    assert security.environment_lines(plain_kafka, plain_es) == [
        "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1",
        "NEWSWIRE_ES_URL=http://127.0.0.1:2",
    ]


@pytest.mark.parametrize(("created", "asked"), [(True, False), (False, True)])
def test_a_stack_keeps_the_security_it_was_created_with(
    tmp_path: Path, created: bool, asked: bool
) -> None:
    settings = StackSettings(home=tmp_path, security=asked)
    state = _state(settings, security=created)
    (tmp_path / "stack.json").write_text(state.model_dump_json())
    words = ("on", "off") if created else ("off", "on")
    with pytest.raises(StackError, match="created with security {}, not {}".format(*words)):
        StackManager(settings).up()
    # Unset, the setting means "as created": the check passes (and starting is not tested here).
    assert StackSettings(home=tmp_path).security is None


def test_a_truncated_or_mismatched_key_is_not_taken_as_valid_and_is_made_anew(
    tmp_path: Path,
) -> None:
    layout = security.SecurityLayout(tmp_path)
    credentials = security.load_or_create(layout)
    assert security.certificates_problem(layout) is None
    whole = layout.server_key.read_bytes()
    layout.server_key.write_bytes(whole[: len(whole) // 2])
    assert security.certificates_problem(layout) is not None
    old_cert = layout.server_cert.read_bytes()
    # Certificates are made anew; the passwords (known to the broker's storage) are kept.
    assert security.load_or_create(layout, kafka_formatted=True) == credentials
    assert security.certificates_problem(layout) is None
    assert layout.server_cert.read_bytes() != old_cert
    context = ssl.create_default_context(cafile=str(layout.ca_cert))
    context.load_cert_chain(layout.server_cert, layout.server_key)
    # A key that is not the certificate's is refused too.
    other = security.SecurityLayout(tmp_path / "other")
    security.generate_certificates(other)
    layout.server_key.write_bytes(other.server_key.read_bytes())
    assert "is not the key of" in str(security.certificates_problem(layout))


def test_new_passwords_are_refused_for_a_kafka_storage_formatted_with_old_ones(
    tmp_path: Path,
) -> None:
    layout = security.SecurityLayout(tmp_path)
    security.load_or_create(layout)
    layout.credentials.unlink()
    with pytest.raises(StackError, match="remove the stack folder"):
        security.load_or_create(layout, kafka_formatted=True)
    assert not layout.credentials.exists()
    # A stack whose broker was never formatted gets new ones.
    assert security.load_or_create(layout, kafka_formatted=False) is not None


def test_the_manager_refuses_missing_credentials_once_kafka_was_formatted(tmp_path: Path) -> None:
    manager = StackManager(StackSettings(home=tmp_path, security=True))
    state = _state(manager.settings, security=True)
    first = manager._credentials(state)
    assert first is not None
    manager.security_layout.credentials.unlink()
    manager.kafka_layout.data.mkdir(parents=True)
    (manager.kafka_layout.data / "meta.properties").write_text("cluster.id=x\n")
    assert manager.kafka_layout.formatted
    with pytest.raises(StackError, match="already formatted"):
        manager._credentials(state)


def test_format_errors_quote_the_tool_without_passwords() -> None:
    line = (
        "Error: bad SCRAM credential SCRAM-SHA-512=[name=newswire,password=hunter2-abc] "
        "and admin-pass-xyz"
    )
    redacted = redact(line, ["admin-pass-xyz", "hunter2-abc", ""])
    assert "hunter2-abc" not in redacted and "admin-pass-xyz" not in redacted
    assert "name=newswire,password=***]" in redacted
    # A password the list misses is still caught by its `password=` form.
    assert redact("password=other-secret,", []) == "password=***,"


def test_stack_status_json_names_the_credentials_file_not_the_passwords(tmp_path: Path) -> None:
    manager = StackManager(StackSettings(home=tmp_path, security=True))
    state = _state(manager.settings, security=True)
    credentials = manager._credentials(state)
    assert credentials is not None
    status = manager._status(state, credentials)  # nothing runs: only the document is checked
    document = json.loads(status_json(status))
    assert document["credentials_file"] == str(manager.security_layout.credentials)
    assert document["kafka"]["bootstrap_servers"] == f"127.0.0.1:{state.kafka_port}"
    assert document["elasticsearch"]["url"] == f"https://127.0.0.1:{state.elasticsearch_port}"
    assert "pid" in document["elasticsearch"]
    assert document["kafka"]["sasl_username"] == security.KAFKA_USER
    text = status_json(status)
    for secret in (credentials.kafka_password, credentials.es_password):
        assert secret not in text
    assert "password" not in text.replace("credentials_file", "")
    plain = StackManager(StackSettings(home=tmp_path / "plain"))
    plain_status = plain._status(_state(plain.settings, security=False), None)
    assert "credentials_file" not in json.loads(status_json(plain_status))


def test_stack_env_is_private_and_not_rewritten_when_unchanged(tmp_path: Path) -> None:
    manager = StackManager(StackSettings(home=tmp_path, security=True))
    state = _state(manager.settings, security=True)
    kafka_settings, es_settings = manager.client_settings(state, manager._credentials(state))
    manager.env_path.write_text("stale\n")
    manager.env_path.chmod(0o644)
    manager._write_env(kafka_settings, es_settings)
    first = manager.env_path.stat()
    assert first.st_mode & 0o777 == 0o600
    assert "NEWSWIRE_ES_PASSWORD=" in manager.env_path.read_text()
    manager._write_env(kafka_settings, es_settings)
    again = manager.env_path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    # The same content with a mode that lets others read it is written anew, privately.
    manager.env_path.chmod(0o644)
    manager._write_env(kafka_settings, es_settings)
    assert manager.env_path.stat().st_mode & 0o777 == 0o600


def _state(settings: StackSettings, *, security: bool) -> StackState:
    return StackState(
        kafka_version=settings.kafka_version,
        elasticsearch_version=settings.elasticsearch_version,
        kafka_port=1,
        kafka_controller_port=2,
        elasticsearch_port=3,
        elasticsearch_transport_port=4,
        kafka_cluster_id="x",
        security=security,
    )
