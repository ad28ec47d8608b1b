"""The fixtures of our own writing in ``tests/fixtures/``, loaded the way the tests use them."""

from __future__ import annotations

from pathlib import Path

from schemas.events import Event

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
EVENTS_FILE = FIXTURES_DIR / "events" / "events.jsonl"
# One subscription whose webhook signs with the secret of NEWSWIRE_TEST_ALERTER_SECRET.
SIGNED_SUBSCRIPTION = FIXTURES_DIR / "alerter" / "signed-subscription.yaml"


def fixture_events() -> list[Event]:
    """The hand-written events of ``tests/fixtures/events/events.jsonl``, in file order."""
    lines = EVENTS_FILE.read_text(encoding="utf-8").splitlines()
    return [Event.model_validate_json(line) for line in lines if line]
