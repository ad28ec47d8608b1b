"""The shared log configuration (newswire.logs): JSON and console lines, bound ids, settings."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from newswire.logs import LogSettings, bound, configure_logging, log_fields, resolve_format

NAME = "newswire.test-logs"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    target = logging.getLogger(NAME)
    saved = (list(target.handlers), target.propagate, target.level)
    yield target
    target.handlers[:] = saved[0]
    target.propagate, target.level = saved[1], saved[2]


def _json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_extra_fields_and_bound_ids(logger: logging.Logger) -> None:
    stream = io.StringIO()
    chosen = configure_logging(LogSettings(log_format="json"), stream=stream, loggers=(NAME,))
    assert chosen == "json"
    with bound(article_id="a1", event_id="e1", development_id=None):
        logger.info("published %d", 2, extra={"event": "event_published", "source": "wire"})
    logger.warning("outside")

    first, second = _json_lines(stream)
    assert list(first)[:4] == ["ts", "level", "logger", "message"]
    assert first["message"] == "published 2"
    assert first["level"] == "info"
    assert first["logger"] == NAME
    assert (first["event"], first["source"]) == ("event_published", "wire")
    assert (first["article_id"], first["event_id"]) == ("a1", "e1")
    assert "development_id" not in first  # None is left out
    assert first["ts"].endswith("Z")
    # Once the block is left, the ids are no longer bound.
    assert second["level"] == "warning" and "article_id" not in second


def test_an_explicit_field_wins_over_a_bound_one_and_exceptions_are_kept(
    logger: logging.Logger,
) -> None:
    stream = io.StringIO()
    configure_logging(LogSettings(log_format="json"), stream=stream, loggers=(NAME,))
    with bound(article_id="outer"):
        try:
            raise ValueError("bad body")
        except ValueError:
            logger.exception("cannot normalize", extra={"article_id": "inner"})
    (line,) = _json_lines(stream)
    assert line["article_id"] == "inner"
    assert line["level"] == "error"
    assert "ValueError: bad body" in line["exception"]


def test_bound_ids_belong_to_the_thread_that_bound_them(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging(LogSettings(log_format="json"), stream=stream, loggers=(NAME,))
    with bound(article_id="main-thread"):
        other = threading.Thread(target=lambda: logger.info("from the other thread"))
        other.start()
        other.join()
    (line,) = _json_lines(stream)
    assert "article_id" not in line


def test_log_fields_gives_the_fields_as_extra_and_as_bound_context(
    logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    configure_logging(LogSettings(log_format="json"), stream=stream, loggers=(NAME,))
    logger.propagate = True  # so caplog sees the record too
    with caplog.at_level(logging.INFO, logger=NAME):
        log_fields(logger, "ingest fetch wire", {"source": "wire", "fetched": 3})
    (line,) = _json_lines(stream)
    assert (line["source"], line["fetched"]) == ("wire", 3)
    (record,) = [r for r in caplog.records if r.name == NAME]
    assert record.__dict__["fetched"] == 3


def test_console_lines_are_human_readable_with_the_fields(logger: logging.Logger) -> None:
    stream = io.StringIO()
    chosen = configure_logging(LogSettings(log_format="console"), stream=stream, loggers=(NAME,))
    assert chosen == "console"
    with bound(article_id="a1"):
        logger.info("article accepted", extra={"source": "wire"})
    text = stream.getvalue()
    assert not text.startswith("{")
    assert "[info" in text and "article accepted" in text and NAME in text
    assert "article_id=a1" in text and "source=wire" in text


def test_auto_is_console_on_a_terminal_else_the_process_default() -> None:
    assert resolve_format("auto", _Terminal(), "json") == "console"
    assert resolve_format("auto", io.StringIO(), "json") == "json"
    assert resolve_format("auto", io.StringIO(), "console") == "console"
    assert resolve_format("json", _Terminal(), "console") == "json"
    assert resolve_format("console", io.StringIO(), "json") == "console"


def test_the_format_and_level_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_LOG_FORMAT", "json")
    monkeypatch.setenv("NEWSWIRE_LOG_LEVEL", "WARNING")
    settings = LogSettings()
    assert (settings.log_format, settings.log_level) == ("json", "WARNING")
    monkeypatch.setenv("NEWSWIRE_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        LogSettings()


def test_configuring_again_replaces_the_handler_and_applies_the_level(
    logger: logging.Logger,
) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(LogSettings(log_format="json"), stream=first, loggers=(NAME,))
    configure_logging(
        LogSettings(log_format="json", log_level="WARNING"), stream=second, loggers=(NAME,)
    )
    logger.info("dropped at WARNING")
    logger.warning("kept")
    assert first.getvalue() == ""
    assert [line["message"] for line in _json_lines(second)] == ["kept"]
    assert logger.propagate is False  # a named logger writes its lines once


def test_a_host_that_configured_the_root_logger_keeps_it() -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    foreign = logging.StreamHandler(io.StringIO())
    root.handlers[:] = [foreign]
    try:
        configure_logging(
            LogSettings(log_format="json"), stream=io.StringIO(), respect_existing=True
        )
        assert root.handlers == [foreign]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
