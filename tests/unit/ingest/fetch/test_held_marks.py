"""Held-back fetch-state writes: nothing marks a resource as seen before it is processed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newswire.ingest.fetch import Fetcher
from newswire.ingest.fetch.errors import (
    BinaryBodyError,
    FetchConnectionError,
    FetchTimeoutError,
    HttpStatusError,
    ResolutionError,
    RetryAfterTooLongError,
    RobotsDisallowedError,
)
from newswire.ingest.fetch.fetcher import STATE_FILE_NAME
from newswire.ingest.fetch.state import FetchState, HeldMarks, StateMark, Validators
from newswire.ingest.pipeline import IngestError, store_held_marks
from newswire.ingest.settings import IngestSettings
from schemas.documents import FetchedDocument, SourceKind

FEED = "https://news.example/feed.rss"
GOOD = "https://news.example/a.html"
BAD = "https://news.example/b.html"


def _local(server: Any, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def test_a_holding_fetcher_stores_no_validators_until_they_are_applied(
    fetcher: Fetcher, web_server: Any
) -> None:
    fetcher.hold_state_marks()
    url = _local(web_server, "/feed.rss")
    first = fetcher.fetch(url, allow_private_network=True)
    assert fetcher.state.validators(url) is None
    [mark] = fetcher.take_state_marks()
    assert fetcher.take_state_marks() == []
    assert (mark.kind, mark.key, mark.etag) == ("validators", url, first.etag)

    # Not applied: the next fetch is unconditional and downloads the body again.
    assert not fetcher.fetch(url, allow_private_network=True).not_modified
    for held in fetcher.take_state_marks():
        fetcher.state.apply(held, now=0.0)
    assert fetcher.fetch(url, allow_private_network=True).not_modified


def test_a_fetcher_that_does_not_hold_stores_at_once(fetcher: Fetcher, web_server: Any) -> None:
    url = _local(web_server, "/feed.rss")
    fetcher.fetch(url, allow_private_network=True)
    fetcher.remember_file_seen("drop", "/in/a.txt", "ab" * 32)
    assert fetcher.take_state_marks() == []
    assert fetcher.state.validators(url) is not None
    assert fetcher.state.seen_file_sha("drop", "/in/a.txt") == "ab" * 32


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (FetchTimeoutError(GOOD, "read timeout"), True),
        (FetchConnectionError(GOOD, "reset"), True),
        (ResolutionError(GOOD, "no such host"), True),
        (HttpStatusError(GOOD, "503", 503), True),
        (HttpStatusError(GOOD, "429", 429), True),
        (RetryAfterTooLongError(GOOD, "come back tomorrow", 503), True),
        (HttpStatusError(GOOD, "404", 404), False),
        (RobotsDisallowedError(GOOD, "disallowed"), False),
        (BinaryBodyError(GOOD, "a PNG image"), False),
    ],
)
def test_errors_tell_whether_a_later_pass_may_succeed(error: Any, transient: bool) -> None:
    assert error.transient is transient


def _document(url: str | None, sha: str) -> FetchedDocument:
    return FetchedDocument(
        source_id="news",
        source_kind=SourceKind.RSS,
        url=url,
        body_path=f"/bodies/{sha}.html",
        body_sha256=sha,
        fetched_at=datetime(2024, 6, 1, tzinfo=UTC),
    )


def _held(tmp_path: Path, *, complete: bool) -> tuple[Path, IngestSettings]:
    settings = IngestSettings(state_dir=tmp_path / "state")
    marks = HeldMarks(
        source_id="news",
        complete=complete,
        marks=(
            StateMark.for_validators(FEED, Validators('"feed"', None)),
            StateMark.for_validators(GOOD, Validators('"a"', None)),
            StateMark.for_validators(BAD, Validators('"b"', None)),
            StateMark.for_file("news", "/drop/c.txt", "c" * 64),
        ),
    )
    path = tmp_path / "marks.json"
    path.write_text(marks.model_dump_json(), encoding="utf-8")
    return path, settings


def _stored(settings: IngestSettings) -> set[str]:
    state = FetchState(settings.state_dir / "fetch" / STATE_FILE_NAME)
    state.open()
    try:
        found = {url for url in (FEED, GOOD, BAD) if state.validators(url) is not None}
        if state.seen_file_sha("news", "/drop/c.txt") is not None:
            found.add("/drop/c.txt")
        return found
    finally:
        state.close()


def test_everything_recorded_stores_every_mark(tmp_path: Path) -> None:
    path, settings = _held(tmp_path, complete=True)
    recorded = [_document(GOOD, "a" * 64), _document(BAD, "b" * 64), _document(None, "c" * 64)]
    assert store_held_marks(path, recorded=recorded, failed=[], settings=settings) == 4
    assert _stored(settings) == {FEED, GOOD, BAD, "/drop/c.txt"}


def test_a_failed_document_keeps_its_own_mark_and_the_listing_s_back(tmp_path: Path) -> None:
    path, settings = _held(tmp_path, complete=True)
    recorded = [_document(GOOD, "a" * 64)]
    failed = [_document(BAD, "b" * 64), _document(None, "c" * 64)]
    assert store_held_marks(path, recorded=recorded, failed=failed, settings=settings) == 1
    assert _stored(settings) == {GOOD}


def test_an_item_lost_for_a_passing_reason_keeps_the_listing_to_be_read_again(
    tmp_path: Path,
) -> None:
    path, settings = _held(tmp_path, complete=False)
    recorded = [_document(GOOD, "a" * 64), _document(BAD, "b" * 64)]
    assert store_held_marks(path, recorded=recorded, failed=[], settings=settings) == 2
    assert _stored(settings) == {GOOD, BAD}


def test_no_marks_file_stores_nothing_and_a_broken_one_is_an_error(tmp_path: Path) -> None:
    settings = IngestSettings(state_dir=tmp_path / "state")
    assert store_held_marks(tmp_path / "none.json", recorded=[], failed=[], settings=settings) == 0
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(IngestError, match="held fetch-state marks"):
        store_held_marks(broken, recorded=[], failed=[], settings=settings)
