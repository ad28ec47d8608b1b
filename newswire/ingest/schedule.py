"""Which catalogue sources are due, from their ``schedule`` and their last successful fetch.

``ingest_news`` runs every minute; its first task asks :func:`due_source_ids` which sources to
fetch. A source is due when one of its schedule's fire times lies after its last successful
fetch and not after now (a source never fetched is due at once). ``@once`` is due only until
it has been fetched, ``@continuous`` always. The last fetch of each source is kept in the ingest
state (the fetch state's sqlite file), written by :func:`record_fetches` once a fetch succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from newswire.ingest.settings import IngestSettings
from newswire.ingest.sources import Source

if TYPE_CHECKING:
    from newswire.ingest.fetch.state import FetchState

#: Cron equivalents of the presets that fire on a calendar.
PRESET_CRON: Mapping[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_MEMO_PREFIX = "last_fetch:"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def next_fire_after(schedule: str, moment: datetime) -> datetime | None:
    """The first fire time of ``schedule`` strictly after ``moment`` (UTC).

    ``None`` for ``@once`` (it never fires again); ``moment`` itself for ``@continuous``.
    """
    moment = _utc(moment)
    text = schedule.strip()
    if text == "@once":
        return None
    if text == "@continuous":
        return moment
    from croniter import croniter  # type: ignore[import-untyped]

    fire: datetime = croniter(PRESET_CRON.get(text, text), moment).get_next(datetime)
    return _utc(fire)


def is_due(schedule: str, last_fetch: datetime | None, now: datetime) -> bool:
    """Whether a source with ``schedule``, last fetched at ``last_fetch``, is due at ``now``."""
    if last_fetch is None:
        return True
    fire = next_fire_after(schedule, last_fetch)
    return fire is not None and fire <= _utc(now)


def due_source_ids(
    sources: Iterable[Source],
    last_fetches: Mapping[str, datetime],
    now: datetime,
    *,
    fetch_all: bool = False,
) -> list[str]:
    """Ids of the enabled ``sources`` due at ``now`` (every enabled one when ``fetch_all``)."""
    return [
        source.id
        for source in sources
        if source.enabled
        and (fetch_all or is_due(source.schedule, last_fetches.get(source.id), now))
    ]


@contextmanager
def _fetch_state(settings: IngestSettings) -> Iterator[FetchState]:
    from newswire.ingest.fetch.fetcher import STATE_FILE_NAME
    from newswire.ingest.fetch.state import FetchState

    state = FetchState(
        settings.state_dir / "fetch" / STATE_FILE_NAME,
        timeout_seconds=settings.sqlite_timeout_seconds,
    )
    state.open()
    try:
        yield state
    finally:
        state.close()


def last_fetches(settings: IngestSettings, source_ids: Iterable[str]) -> dict[str, datetime]:
    """The last successful fetch (UTC) of each of ``source_ids`` that was ever fetched."""
    found: dict[str, datetime] = {}
    with _fetch_state(settings) as state:
        for source_id in source_ids:
            value = state.memo(_MEMO_PREFIX + source_id)
            if value is not None:
                found[source_id] = _utc(datetime.fromisoformat(value))
    return found


def record_fetches(settings: IngestSettings, fetched: Mapping[str, datetime]) -> None:
    """Remember that each source of ``fetched`` was fetched successfully at its time.

    An older time never replaces a newer one (a late retry of an earlier run).
    """
    previous = last_fetches(settings, fetched)
    with _fetch_state(settings) as state:
        for source_id, moment in fetched.items():
            when = _utc(moment)
            if source_id in previous and previous[source_id] >= when:
                continue
            state.store_memo(_MEMO_PREFIX + source_id, when.isoformat())
