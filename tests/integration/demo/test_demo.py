"""``make demo`` end to end: its own stack and Airflow, the scheduler runs ``ingest_news`` on the
bundled site, the indexer and alerter deliver to a webhook and an SMTP mailbox; run twice, the
second run adds no document and no alert.

The demo starts everything itself, so the test gives it a fresh run directory (a stack of its
own, stopped and removed at the end): only on a stack that has never seen the site does the
first run have something to add.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from newswire_testing.commands import run_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NEWSWIRE = [sys.executable, "-m", "newswire"]
# Connection settings of the session's stack would point the demo at it: left out.
INHERITED_OUT = (
    "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS",
    "NEWSWIRE_ES_URL",
    "NEWSWIRE_INGEST_STATE_DIR",
    "NEWSWIRE_AIRFLOW_PORT",
)


@pytest.fixture(scope="module")
def demo_env() -> Iterator[dict[str, str]]:
    """The environment of a demo with its own run directory (reachable by the ES user)."""
    home = Path(tempfile.mkdtemp(prefix="newswire-demo-test-", dir="/var/tmp"))
    home.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_OUT}
    env["NEWSWIRE_STACK_HOME"] = str(home)
    try:
        yield env
    finally:
        for command in (["airflow", "down"], ["stack", "down"]):
            subprocess.run(
                [*NEWSWIRE, *command], env=env, capture_output=True, timeout=180, check=False
            )
        shutil.rmtree(home, ignore_errors=True)


def _demo(env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    result = run_process(
        [sys.executable, "-m", "newswire.demo", "--json"],
        env={**env, "COLUMNS": "160"},
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:])
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    print(result.stdout)  # the demo's own report, shown with -s or on failure
    return result.stdout, figures


@pytest.mark.timeout(1500)
def test_the_demo_runs_through_the_scheduler_and_a_second_run_adds_nothing(
    demo_env: dict[str, str],
) -> None:
    printed, first = _demo(demo_env)
    assert first["fetched"] > 0 and first["accepted"] > 0, first
    assert first["duplicates"] >= 1, first  # the syndicated copies
    assert first["new_articles"] == first["accepted"], first
    assert len(first["events_by_type"]) >= 4, first
    assert len(first["events_by_modality"]) >= 3, first
    assert first["webhook_alerts"] > 0 and first["email_alerts"] > 0, first
    assert "Airflow UI" in printed and "newswire search" in printed
    assert "newswire status" in printed

    _, second = _demo(demo_env)
    assert second["new_articles"] == 0 and second["accepted"] == 0, second
    assert second["new_events"] == 0, second
    assert second["alerts"] == 0, second
