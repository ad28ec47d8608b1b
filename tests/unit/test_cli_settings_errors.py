"""Commands turn bad settings into one ``error:`` line, exit 1, and never print a password."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newswire.cli import app

SECRET = "cli-secret-that-must-not-print-91c2"


def _environment(tmp_path: Path, **values: str) -> dict[str, str | None]:
    """No NEWSWIRE_* variable of the test run, no stack.env, and ``values``."""
    env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("NEWSWIRE_")}
    env["NEWSWIRE_STACK_HOME"] = str(tmp_path / "no-stack")
    env.update(values)
    return env


KAFKA_WITHOUT_USER = {
    "NEWSWIRE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "NEWSWIRE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "NEWSWIRE_KAFKA_SASL_PASSWORD": SECRET,
}
ES_WITHOUT_USER = {"NEWSWIRE_ES_PASSWORD": SECRET}


@pytest.mark.parametrize(
    ("args", "values", "expected"),
    [
        (["status"], KAFKA_WITHOUT_USER, "invalid KafkaSettings settings"),
        (["status"], ES_WITHOUT_USER, "invalid ElasticsearchSettings settings"),
        (
            ["ingest", "--sources", "sources.yaml"],
            KAFKA_WITHOUT_USER,
            "invalid KafkaSettings settings",
        ),
        (
            ["ingest", "--sources", "sources.yaml", "--output", "out.jsonl"],
            {"NEWSWIRE_INGEST_NUM_PERM": "3"},
            "invalid IngestSettings settings: num_perm",
        ),
        (["search", "Macron"], ES_WITHOUT_USER, "invalid ElasticsearchSettings settings"),
        (["bootstrap"], {"NEWSWIRE_KIBANA_TIMEOUT_SECONDS": "0"}, "invalid KibanaSettings"),
    ],
)
def test_a_settings_error_is_one_line_without_the_secret(
    tmp_path: Path, args: list[str], values: dict[str, str], expected: str
) -> None:
    result = CliRunner().invoke(app, args, env=_environment(tmp_path, **values))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: " + expected), result.stderr
    assert SECRET not in result.output and SECRET not in result.stderr
