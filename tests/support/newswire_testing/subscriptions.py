"""Subscriptions of the alerter's tests: channels to the loopback receivers, files to load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WEBHOOK_SECRET = "integration-test-secret"
WEBHOOK_SECRET_ENV = "NEWSWIRE_TEST_WEBHOOK_SECRET"


def write_subscriptions(path: Path, subscriptions: list[dict[str, Any]]) -> Path:
    """Write a subscriptions file (the ``subscriptions:`` list the alerter loads)."""
    path.write_text(yaml.safe_dump({"subscriptions": subscriptions}, sort_keys=False))
    return path


def webhook_channel(url: str) -> dict[str, Any]:
    """A webhook channel signing with :data:`WEBHOOK_SECRET` (read from its variable)."""
    return {
        "type": "webhook",
        "url": url,
        "secret_env": WEBHOOK_SECRET_ENV,
        "timeout_seconds": 5,
    }


def email_channel(port: int) -> dict[str, Any]:
    """An email channel to the SMTP sink on ``port``."""
    return {"type": "email", "to": ["desk@example.org"], "smtp_port": port, "timeout_seconds": 5}


def macron_putin(channels: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """The subscription most tests use: Macron and Putin in contact; ``extra`` overrides fields.

    ``macron_putin([webhook_channel(url)], id="desk-b", actors_all=["Putin", "Macron"])``.
    """
    return {
        "id": "macron-putin",
        "event_types": ["LEADER_CONTACT"],
        "actors_all": ["Emmanuel Macron", "Vladimir Putin"],
        "channels": channels,
        **extra,
    }
