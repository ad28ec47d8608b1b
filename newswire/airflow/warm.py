"""Warm task processes: the scheduler loads what the tasks need before it forks its workers.

Airflow's LocalExecutor forks its workers from the scheduler, and each worker forks one process
per task instance, so whatever the scheduler has imported before it starts its executor every
task starts with. Without this, every ``ingest_news`` task imports the ingest stack afresh and
``extract_events`` loads the spaCy model afresh: seconds per task, and most of the pipeline's
own latency on a loaded machine (``benchmarks/bench_latency.py``).

``newswire airflow up`` writes ``airflow_local_settings.py`` (:data:`LOCAL_SETTINGS`) into the
Airflow home's ``config/`` folder, which Airflow imports at start-up in each of its processes;
only the scheduler calls :func:`warm_task_processes`: it imports the task modules, normalizes one
small page (the language identifier loads its model on first use) and loads the spaCy pipeline
with one extraction. No client, socket or thread is created, so forking stays safe. A failure
is logged and the scheduler starts anyway (its tasks then load everything themselves, as
without the warm-up).
"""

from __future__ import annotations

import importlib
import logging
import time
from datetime import UTC, datetime

log = logging.getLogger(__name__)

#: What the ``ingest_news`` tasks import inside their bodies (see dags/ingest_news.py).
TASK_MODULES = (
    "newswire.ingest.settings",
    "newswire.ingest.sources",
    "newswire.ingest.schedule",
    "newswire.ingest.pipeline",
    "newswire.ingest.fetch.fetcher",
    "newswire.ingest.fetch.pool",
    "newswire.ingest.readers",
    "newswire.ingest.normalize",
    "newswire.ingest.normalize.batch",
    "newswire.ingest.dedup",
    "newswire.transport.kafka",
    "croniter",
    "schemas.topics",
)

#: The ``airflow_local_settings.py`` that ``newswire airflow up`` writes (nothing is exported
#: into ``airflow.settings``: ``__all__`` is empty).
LOCAL_SETTINGS = '''"""Written by `newswire airflow up` (newswire.airflow.warm); rewritten on every start."""

import sys as _sys

__all__: list[str] = []

if _sys.argv[1:2] == ["scheduler"]:
    from newswire.airflow.warm import warm_task_processes as _warm

    _warm()
'''


#: A page of our own wording, normalized once so that what the normalizer loads on its first
#: call (the language identifier's model, above all) is loaded before the fork.
WARM_PAGE = (
    b"<!DOCTYPE html><html lang='en'><head><title>Warm-up</title></head><body><article>"
    b"<h1>Council approves new bridge</h1><p>The regional council approved a plan on Tuesday "
    b"to build a second bridge over the estuary, after months of talks with residents and the "
    b"port operator. Work is expected to start next spring and to last two years.</p><p>The "
    b"committee's chair said the bridge would cut journey times across the river district "
    b"and take freight traffic out of the town centre.</p></article></body></html>"
)
WARM_SENTENCE = "Vladimir Putin and Emmanuel Macron spoke by telephone on Monday."


def _warm_normalizer() -> None:
    from newswire.ingest.normalize import NormalizeOptions, normalize_file_bytes

    normalize_file_bytes(
        WARM_PAGE,
        file_name="warm-up.html",
        source_id="warm-up",
        fetched_at=datetime.now(UTC),
        options=NormalizeOptions(),
    )


def _warm_extractor() -> None:
    from newswire.extract.extractor import EventExtractor
    from newswire.extract.settings import ExtractSettings

    # load_pipeline and the gazetteer are cached per process and configuration: a task's
    # extractor (same environment, so the same settings) finds them loaded; one extraction also
    # runs what the pipeline initializes on its first document. This is an entry point (the
    # scheduler's start-up), so it builds its settings.
    EventExtractor(ExtractSettings()).extract_text("warm-up", WARM_SENTENCE)


def warm_task_processes(*, extractor: bool = True) -> float:
    """Import the task modules, normalize a page, load spaCy and extract once; returns seconds.

    Never raises: a module or model that cannot be loaded is logged, and the tasks that need it
    load it (and fail with their own error) as they would without the warm-up.
    """
    started = time.monotonic()
    try:
        for name in TASK_MODULES:
            importlib.import_module(name)
        _warm_normalizer()
        if extractor:
            _warm_extractor()
    except Exception:
        log.warning(
            "newswire: warming the task processes failed; tasks will load their modules and "
            "the spaCy model themselves",
            exc_info=True,
        )
    seconds = time.monotonic() - started
    log.info("newswire: task modules and the spaCy pipeline loaded in %.1f s", seconds)
    return seconds
