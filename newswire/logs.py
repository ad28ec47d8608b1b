"""Logs of every newswire process: JSON lines or human-readable lines, rendered by structlog.

One configuration for the consumers, ``newswire ingest`` and the other commands: code logs
through the standard :mod:`logging` module (``extra=`` fields become JSON fields) and binds the
ids of what it works on with :func:`bound` (``article_id``, ``event_id``, ``development_id``), so
every line logged meanwhile carries them and one article can be followed from fetch to
notification with ``grep``. Inside Airflow tasks Airflow's own structlog configuration renders the
lines; it merges the same bound ids (structlog context variables) into its task log.

The format is a setting, ``NEWSWIRE_LOG_FORMAT``: ``json``, ``console``, or ``auto`` (the default:
human-readable on a terminal, otherwise the process's default, JSON for services).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TextIO

import structlog
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["auto", "json", "console"]
ROOT = ""
"""The root logger's name, for :func:`configure_logging`'s ``loggers``."""

# Libraries that are chatty at INFO (kafka-python about every connection).
QUIET_LOGGERS = ("kafka", "elastic_transport", "httpx", "httpcore", "urllib3")
# The first keys of a JSON line, in this order; the others follow as they were added.
_LEADING_KEYS = ("ts", "level", "logger", "message")


class LogSettings(BaseSettings):
    """How a process logs (``NEWSWIRE_LOG_FORMAT``, ``NEWSWIRE_LOG_LEVEL``)."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore", frozen=True)

    log_format: LogFormat = Field(
        default="auto",
        description="json, console, or auto: console on a terminal, else the process's default.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Level of the newswire loggers."
    )


class _NewswireHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our handler, told apart from others so that configuring again replaces it."""


def resolve_format(
    setting: LogFormat, stream: TextIO, default: Literal["json", "console"]
) -> Literal["json", "console"]:
    """The format to write: the setting, or for ``auto`` console on a terminal else ``default``."""
    if setting != "auto":
        return setting
    isatty = getattr(stream, "isatty", None)
    return "console" if callable(isatty) and isatty() else default


def _message_key(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    # structlog calls the message "event"; our lines call it "message" and keep "event" free
    # for the kind of line (``batch_committed``), as the consumers' logs always had it.
    event_dict["message"] = event_dict.pop("event", "")
    return event_dict


def _leading_keys_first(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    ordered = {key: event_dict.pop(key) for key in _LEADING_KEYS if key in event_dict}
    ordered.update(event_dict)
    return ordered


def _processors(fmt: Literal["json", "console"]) -> list[Processor]:
    renderer: Processor
    if fmt == "json":
        tail: list[Processor] = [
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _leading_keys_first,
        ]
        renderer = structlog.processors.JSONRenderer(default=str, ensure_ascii=False)
    else:
        tail = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
        renderer = structlog.dev.ConsoleRenderer(
            colors=False,
            event_key="message",
            timestamp_key="ts",
            pad_event_to=0,
            exception_formatter=structlog.dev.plain_traceback,
        )
    return [
        _message_key,
        structlog.stdlib.ExtraAdder(),
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        *tail,
        renderer,
    ]


def make_formatter(fmt: Literal["json", "console"]) -> logging.Formatter:
    """A :class:`logging.Formatter` rendering records in ``fmt`` with their fields and bound ids."""
    return structlog.stdlib.ProcessorFormatter(processors=_processors(fmt), use_get_message=True)


def configure_logging(
    settings: LogSettings,
    *,
    default: Literal["json", "console"] = "console",
    stream: TextIO | None = None,
    loggers: Sequence[str] = (ROOT,),
    level: int | None = None,
    respect_existing: bool = False,
) -> Literal["json", "console"]:
    """Send the ``loggers``' records to ``stream`` (stderr) in the configured format.

    Configuring again replaces the handler installed before. A named logger stops propagating
    to the root (its lines are written once). With ``respect_existing`` a root logger that
    already has someone else's handlers (a host process: pytest, Airflow) is left alone, as
    :func:`logging.basicConfig` does. ``level`` overrides the settings' level. Returns the
    format chosen.
    """
    target = stream if stream is not None else sys.stderr
    fmt = resolve_format(settings.log_format, target, default)
    handler = _NewswireHandler(target)
    handler.setFormatter(make_formatter(fmt))
    chosen_level = level if level is not None else logging.getLevelName(settings.log_level)
    for name in loggers:
        logger = logging.getLogger(name)
        ours = [h for h in logger.handlers if isinstance(h, _NewswireHandler)]
        if respect_existing and name == ROOT and len(logger.handlers) > len(ours):
            continue
        for old in ours:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(chosen_level)
        if name != ROOT:
            logger.propagate = False
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, chosen_level))
    return fmt


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (ids such as ``article_id``) to every line this thread logs in the block.

    ``None`` values are left out. Works for our handlers and for Airflow's task logs alike (both
    merge structlog's context variables).
    """
    given = {key: value for key, value in fields.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**given):
        yield


def log_fields(
    logger: logging.Logger, message: str, fields: Mapping[str, Any], level: int = logging.INFO
) -> None:
    """Log one line whose ``fields`` are JSON fields here and in Airflow's task logs.

    Our handlers read ``extra=`` fields, Airflow's read bound context variables: the fields are
    given both ways.
    """
    with bound(**fields):
        logger.log(level, message, extra=dict(fields))
