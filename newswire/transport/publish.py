"""Publishing a JSONL file of contract records (``newswire publish``): validate, then produce.

Each non-blank line must be one record of the topic's contract (``newswire extract`` output for
``news.events.v1``; ``newswire normalize`` / ``ingest --output`` output for
``news.articles.v1``). Valid records are produced keyed as the catalogue says, with the
idempotent producer; invalid lines are reported with their line number on stderr and not sent.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from newswire.errors import NewswireError
from newswire.settings import KafkaSettings
from newswire.transport.kafka import RecordPublisher
from newswire.validation import describe_errors
from schemas.base import Contract
from schemas.topics import TopicSpec, topic

_CHUNK = 1000


class PublishFileError(NewswireError):
    """The file cannot be published (unknown topic, unreadable file)."""


@dataclass(frozen=True, slots=True)
class InvalidLine:
    """A line of the input that is not a record of the topic's contract."""

    number: int
    error: str


@dataclass
class PublishReport:
    """What a publish run did."""

    published: int = 0
    invalid: list[InvalidLine] = field(default_factory=list)


def parse_line(spec: TopicSpec, line: str) -> Contract:
    """Validate one JSON line against the topic's contract (strict, from JSON)."""
    return spec.model.model_validate_json(line)


def parse_lines(
    spec: TopicSpec, lines: Iterable[str]
) -> Iterator[tuple[int, Contract | InvalidLine]]:
    """Each non-blank line with its 1-based number, as a record or as an :class:`InvalidLine`."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, parse_line(spec, line)
        except ValidationError as exc:
            yield number, InvalidLine(number, describe_errors(exc, limit=3, root="<line>"))


def resolve_topic(name: str) -> TopicSpec:
    """The catalogue entry of a topic name, or a :class:`PublishFileError` naming the known ones."""
    try:
        return topic(name)
    except KeyError as exc:
        raise PublishFileError(str(exc.args[0])) from None


def publish_file(
    spec: TopicSpec,
    path: Path,
    settings: KafkaSettings,
    *,
    errors: TextIO | None = None,
) -> PublishReport:
    """Produce every valid line of ``path`` to ``spec``; report invalid lines on ``errors``.

    Kafka is only contacted when the file holds at least one valid record. Returns once every
    sent record is acknowledged.
    """
    report = PublishReport()
    stream = errors if errors is not None else sys.stderr
    publisher: RecordPublisher | None = None
    pending: list[Contract] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, parsed in parse_lines(spec, handle):
                if isinstance(parsed, InvalidLine):
                    report.invalid.append(parsed)
                    print(
                        f"{path}:{number}: invalid {spec.model.__name__}: {parsed.error}",
                        file=stream,
                    )
                    continue
                pending.append(parsed)
                if len(pending) >= _CHUNK:
                    publisher = publisher or _open(settings)
                    report.published += publisher.publish(spec, pending)
                    pending = []
        if pending:
            publisher = publisher or _open(settings)
            report.published += publisher.publish(spec, pending)
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishFileError(f"cannot read {path}: {exc}") from exc
    finally:
        if publisher is not None:
            publisher.close()
    return report


def _open(settings: KafkaSettings) -> RecordPublisher:
    publisher = RecordPublisher(settings)
    publisher.open()
    return publisher
