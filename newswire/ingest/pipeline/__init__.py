"""The ingest pass: fetch -> normalize + de-duplicate -> publish, as task functions.

By role: :mod:`.runs` (run ids, per-run files, the seen-article index), :mod:`.tasks` (fetch
and normalize, one source at a time), :mod:`.delivery` (Kafka or a file), :mod:`.passes` (one
pass without Airflow).

The Airflow DAG (``dags/ingest_news.py``) calls these functions one per task and
``newswire ingest`` calls :func:`run_ingest_pass`, which chains the very same functions. Tasks hand
each other file paths (JSON lines under ``<state_dir>/runs/<run id>/``), never article bodies, and
every file name is derived from the run id and the source id, so a retried or re-run task rewrites
the same files. Re-running a data interval publishes nothing new: unchanged pages are not
re-downloaded (conditional GET), articles keep their ids, the seen-article index answers
"unchanged", and the Kafka producer is idempotent.
"""

from newswire.ingest.pipeline.delivery import (
    extract_and_publish_events,
    publish_articles,
    publish_source,
    write_articles,
)
from newswire.ingest.pipeline.passes import IngestReport, run_ingest_pass
from newswire.ingest.pipeline.runs import (
    MAX_BODY_BYTES,
    SEEN_INDEX_FILE,
    IngestError,
    RunFiles,
    new_run_id,
    open_seen_index,
    prune_runs,
    read_articles,
    safe_run_key,
    seen_index_path,
)
from newswire.ingest.pipeline.tasks import (
    FetchOutcome,
    NormalizeOutcome,
    enabled_source_ids,
    fetch_source,
    load_sources,
    normalize_source,
    store_held_marks,
)

__all__ = [
    "MAX_BODY_BYTES",
    "SEEN_INDEX_FILE",
    "FetchOutcome",
    "IngestError",
    "IngestReport",
    "NormalizeOutcome",
    "RunFiles",
    "enabled_source_ids",
    "extract_and_publish_events",
    "fetch_source",
    "load_sources",
    "new_run_id",
    "normalize_source",
    "open_seen_index",
    "prune_runs",
    "publish_articles",
    "publish_source",
    "read_articles",
    "run_ingest_pass",
    "safe_run_key",
    "seen_index_path",
    "store_held_marks",
    "write_articles",
]
