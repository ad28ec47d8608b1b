"""A secured local stack (``newswire stack up --secure``) and the services run against it.

The test starts a stack of its own (own home in /var/tmp, own ports): Elasticsearch with TLS on
HTTP and a file-realm user, Kafka with SASL_SSL and SCRAM-SHA-512. It checks that plaintext,
unverified and unauthenticated clients are refused, then runs the indexer, ``newswire search``
and the alerter as separate processes configured the way a production host is: environment
variables only (``NEWSWIRE_KAFKA_*``, ``NEWSWIRE_ES_*``), no ``stack.env`` to fall back on.

API keys are not exercised here: creating one needs the ``.security`` index, whose mappings use
an analyzer of the ``analysis-common`` module, which the integ-test-zip distribution lacks.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kafka import KafkaAdminClient
from kafka.errors import KafkaError
from newswire_testing.commands import command_app
from newswire_testing.webhook import WebhookReceiver
from pydantic import SecretStr
from typer.testing import CliRunner

from consumers.alerter.signing import verify_signature
from newswire.search.command import search_command
from newswire.settings import KafkaSettings, StackSettings
from newswire.stack import StackManager
from newswire.transport.kafka import RecordPublisher
from schemas.events import Event
from schemas.topics import EVENTS

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NEWSWIRE = [sys.executable, "-m", "newswire"]
WEBHOOK_SECRET = "secure-stack-webhook-secret"
COMMAND_TIMEOUT_S = 120


class SecureStack:
    """The test's secured stack: its ``stack status --json``, passwords and a production env.

    The status names the credentials file; the passwords are read from it, as a user would.
    """

    def __init__(self, home: Path, status: dict[str, Any], no_stack_home: Path) -> None:
        self.home = home
        self.status = status
        self.kafka: dict[str, Any] = status["kafka"]
        self.es: dict[str, Any] = status["elasticsearch"]
        credentials = json.loads(Path(status["credentials_file"]).read_text())
        self.kafka_password: str = credentials["kafka_password"]
        self.es_password: str = credentials["es_password"]
        self._no_stack_home = no_stack_home

    def environment(self, **overrides: str | None) -> dict[str, str]:
        """What a production host sets: connection settings and secrets, nothing else of ours.

        Every ``NEWSWIRE_*`` variable of the test run is dropped, and ``NEWSWIRE_STACK_HOME``
        points to an empty folder, so no ``stack.env`` fills in what is missing. An override of
        None removes that variable.
        """
        env = {key: value for key, value in os.environ.items() if not key.startswith("NEWSWIRE_")}
        env.update(
            {
                "NEWSWIRE_STACK_HOME": str(self._no_stack_home),
                "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS": self.kafka["bootstrap_servers"],
                "NEWSWIRE_KAFKA_SECURITY_PROTOCOL": self.kafka["security_protocol"],
                "NEWSWIRE_KAFKA_SASL_MECHANISM": self.kafka["sasl_mechanism"],
                "NEWSWIRE_KAFKA_SASL_USERNAME": self.kafka["sasl_username"],
                "NEWSWIRE_KAFKA_SASL_PASSWORD": self.kafka_password,
                "NEWSWIRE_KAFKA_SSL_CAFILE": self.kafka["ssl_cafile"],
                "NEWSWIRE_ES_URL": self.es["url"],
                "NEWSWIRE_ES_CA_CERTS": self.es["ca_certs"],
                "NEWSWIRE_ES_USERNAME": self.es["username"],
                "NEWSWIRE_ES_PASSWORD": self.es_password,
            }
        )
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def kafka_settings(self) -> KafkaSettings:
        """The same Kafka settings, for a client in the test process."""
        return KafkaSettings(
            _env_file=None,  # type: ignore[call-arg]
            bootstrap_servers=self.kafka["bootstrap_servers"],
            security_protocol=self.kafka["security_protocol"],
            sasl_mechanism=self.kafka["sasl_mechanism"],
            sasl_username=self.kafka["sasl_username"],
            sasl_password=SecretStr(self.kafka_password),
            ssl_cafile=Path(self.kafka["ssl_cafile"]),
        )

    def run(
        self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A newswire command in a child process with the production environment."""
        return subprocess.run(
            [*NEWSWIRE, *args],
            env=env or self.environment(),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )


@pytest.fixture(scope="module")
def secure_stack() -> Iterator[SecureStack]:
    """A secured stack of this module's own, started by the CLI; stopped and removed after."""
    # Under /var/tmp: the Elasticsearch user (as root) must be able to enter it.
    home = Path(tempfile.mkdtemp(prefix="newswire-secure-stack-", dir="/var/tmp"))
    home.chmod(0o755)
    no_stack_home = Path(tempfile.mkdtemp(prefix="newswire-no-stack-"))
    # The stack settings of the run (cache, offline, JDKs) apply; its home, ports and security
    # setting are this test's own.
    own = {"NEWSWIRE_STACK_HOME", "NEWSWIRE_STACK_SECURITY"}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NEWSWIRE_")
        or (key.startswith("NEWSWIRE_STACK_") and key not in own and not key.endswith("_PORT"))
    }
    env["NEWSWIRE_STACK_HOME"] = str(home)
    try:
        result = subprocess.run(
            [*NEWSWIRE, "stack", "up", "--secure", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"secured stack up failed: {result.stderr[-3000:]}"
        yield SecureStack(home, json.loads(result.stdout), no_stack_home)
    finally:
        StackManager(StackSettings(home=home, security=True)).down()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(no_stack_home, ignore_errors=True)


def _kafka_refuses(**options: Any) -> str:
    """The error a Kafka admin client with these options gets (fails the test if none)."""
    try:
        admin = KafkaAdminClient(
            request_timeout_ms=3000, bootstrap_timeout_ms=3000, client_id="refused", **options
        )
    except KafkaError as exc:
        return type(exc).__name__
    try:
        admin.list_topics()
    except KafkaError as exc:
        return type(exc).__name__
    finally:
        admin.close()
    pytest.fail(f"Kafka accepted a client with {sorted(options)}")


def test_the_secured_stack_reports_what_clients_need_and_keeps_its_secrets_private(
    secure_stack: SecureStack,
) -> None:
    status = secure_stack.status
    assert status["running"] is True and status["security"] is True
    assert secure_stack.es["url"].startswith("https://127.0.0.1:")
    assert secure_stack.kafka["security_protocol"] == "SASL_SSL"
    assert secure_stack.kafka["sasl_mechanism"] == "SCRAM-SHA-512"
    assert Path(secure_stack.es["ca_certs"]).is_file()
    # Passwords sit only in files their owner alone can read.
    for secret_file in ("stack.env", "security/credentials.json", "security/server.key"):
        mode = (secure_stack.home / secret_file).stat().st_mode & 0o777
        assert mode == 0o600, f"{secret_file} has mode {mode:o}"
    env_file = secure_stack.home / "stack.env"
    env_text = env_file.read_text()
    assert f"NEWSWIRE_ES_PASSWORD={secure_stack.es_password}" in env_text
    assert f"NEWSWIRE_KAFKA_SASL_PASSWORD={secure_stack.kafka_password}" in env_text
    # `stack up --json` names the credentials file but prints no password.
    printed = json.dumps(status)
    assert status["credentials_file"] == str(secure_stack.home / "security/credentials.json")
    assert secure_stack.es_password not in printed and secure_stack.kafka_password not in printed
    # The SCRAM users' argument file of `kafka-storage format` is gone after formatting.
    assert not (secure_stack.home / "kafka" / "format.args").exists()
    # The stack reads its own credentials back to probe the secured servers.
    manager = StackManager(StackSettings(home=secure_stack.home, security=True))
    again = manager.status()
    assert again.running
    assert again.elasticsearch is not None and again.elasticsearch.health in {"green", "yellow"}
    # Reusing the running stack leaves stack.env as it was (not even rewritten).
    before = env_file.stat()
    assert manager.up().reused
    after = env_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_plaintext_unverified_and_unauthenticated_clients_are_refused(
    secure_stack: SecureStack,
) -> None:
    url = secure_stack.es["url"]
    ca = ssl.create_default_context(cafile=secure_stack.es["ca_certs"])
    # Elasticsearch: no credentials, a wrong password, no TLS, a CA the client does not trust.
    assert httpx.get(f"{url}/_cluster/health", verify=ca, timeout=10).status_code == 401
    wrong = httpx.get(
        f"{url}/_cluster/health", verify=ca, auth=(secure_stack.es["username"], "wrong"), timeout=10
    )
    assert wrong.status_code == 401
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.replace("https://", "http://") + "/_cluster/health", timeout=10)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{url}/_cluster/health", timeout=10)
    # Kafka: a plaintext client, and a SASL client with a wrong password.
    bootstrap = [secure_stack.kafka["bootstrap_servers"]]
    assert _kafka_refuses(bootstrap_servers=bootstrap, security_protocol="PLAINTEXT")
    assert _kafka_refuses(
        bootstrap_servers=bootstrap,
        security_protocol="SASL_SSL",
        ssl_cafile=secure_stack.kafka["ssl_cafile"],
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=secure_stack.kafka["sasl_username"],
        sasl_plain_password="wrong",
    )
    # The command line without credentials: a clear error, no traceback.
    env = secure_stack.environment(NEWSWIRE_ES_USERNAME=None, NEWSWIRE_ES_PASSWORD=None)
    anonymous = CliRunner().invoke(
        command_app("search", search_command),
        ["search", "Macron"],
        env={**dict.fromkeys(os.environ), **env},
    )
    assert anonymous.exit_code == 1, anonymous.output
    assert "error:" in anonymous.output and "401" in anonymous.output
    assert anonymous.exception is None or isinstance(anonymous.exception, SystemExit)


def _search(stack: SecureStack) -> dict[str, Any]:
    result = stack.run("search", "Macron", "--type", "LEADER_CONTACT", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_indexer_search_and_alerter_run_with_production_settings(
    secure_stack: SecureStack,
    make_event: Callable[..., Event],
    webhook: WebhookReceiver,
    tmp_path: Path,
) -> None:
    events = [make_event("call_held", "lemonde"), make_event("call_held", "reuters")]
    with RecordPublisher(secure_stack.kafka_settings()) as publisher:
        publisher.publish(EVENTS, events)

    indexed = secure_stack.run("consume", "indexer", "--until-idle", "2")
    assert indexed.returncode == 0, indexed.stderr[-3000:]

    found = _search(secure_stack)
    assert {hit["event"]["event_id"] for hit in found["hits"]} == {
        event.event_id for event in events
    }
    assert found["total"] == 2

    subscriptions = tmp_path / "subscriptions.yaml"
    subscriptions.write_text(
        yaml.safe_dump(
            {
                "subscriptions": [
                    {
                        "id": "macron-putin",
                        "event_types": ["LEADER_CONTACT"],
                        "actors_all": ["Emmanuel Macron", "Vladimir Putin"],
                        "channels": [
                            {
                                "type": "webhook",
                                "url": webhook.url + "/hook",
                                "secret_env": "NEWSWIRE_SECURE_TEST_WEBHOOK_SECRET",
                                "timeout_seconds": 5,
                            }
                        ],
                    }
                ]
            },
            sort_keys=False,
        )
    )
    alerted = secure_stack.run(
        "consume",
        "alerter",
        "--subscriptions",
        str(subscriptions),
        "--until-idle",
        "2",
        env=secure_stack.environment(NEWSWIRE_SECURE_TEST_WEBHOOK_SECRET=WEBHOOK_SECRET),
        cwd=tmp_path,
    )
    assert alerted.returncode == 0, alerted.stderr[-3000:]
    # Two reports of one call: one development, one alert.
    assert [request.path for request in webhook.requests] == ["/hook"]
    request = webhook.requests[0]
    assert verify_signature(WEBHOOK_SECRET, request.headers["X-Newswire-Signature"], request.body)
    assert request.json()["kind"] == "new"
