"""Logs of the consumer services: the shared configuration of :mod:`newswire.logs`.

JSON lines by default (``ts``, ``level``, ``logger``, ``message``, the ``extra=`` fields such as
``event`` and ``record_ids``, and the bound ids); human-readable on a terminal, or whatever
``NEWSWIRE_LOG_FORMAT`` says.
"""

from __future__ import annotations

from typing import TextIO

from newswire.logs import LogSettings, configure_logging

SERVICE_LOGGERS = ("consumers", "newswire")
"""The loggers a consumer service configures: its own and the library's it calls."""


def configure_json_logging(
    settings: LogSettings,
    level: int | None = None,
    *,
    stream: TextIO | None = None,
    loggers: tuple[str, ...] = SERVICE_LOGGERS,
) -> None:
    """Send the given loggers' records to ``stream`` (stderr), JSON unless ``settings`` say otherwise.

    ``level`` overrides the settings' level (``NEWSWIRE_LOG_LEVEL``).
    """
    configure_logging(settings, default="json", stream=stream, loggers=loggers, level=level)
