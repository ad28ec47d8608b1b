"""End-to-end latency through the real Airflow scheduler: a new feed item to search and to alert.

What runs is what an operator runs: the local stack, ``newswire airflow up`` (the scheduler with
``ingest_news`` every minute), the indexer and the alerter as services (``newswire consume``, as
``make demo`` runs them), a loopback news site and a loopback webhook receiver (the demo's). The
bench's catalogue (the ``newswire_ingest_catalogue`` Variable, restored afterwards) has one RSS
source scheduled ``* * * * *``; the feed starts with a few items (the warm-up poll takes them),
then a new item appears every ``--interval`` seconds on average (randomised, so items land at
every phase of the minute; 3 a minute by default, each measured on its own). Each item is a
realistic article page (filler from ``news_pages.py``, our own wording) around one leader-contact
sentence with an actor pair of its own, so each is a new development and alerts once.

Per item, wall-clock times (UTC, as Airflow records them):

- appeared: the item was added to the feed;
- poll start: the scheduled tick (``run_after``) of the ``ingest_news`` run whose fetch first saw
  the item, or the moment it appeared when it appeared after that tick;
- searchable: a search of ``news-articles`` finds it (polled every 0.5 s);
- webhook: the receiver got its alert (polled every 0.2 s).

waiting for the poll = poll start - appeared; the pipeline's own time = webhook - poll start.
Where the pipeline's time goes comes from the run's task instances (REST API v2: each task's
start-up/queueing gap after its upstream ended, and its run time) and the documents' and alerts'
own timestamps (``extracted_at`` of the event). Goal: the pipeline's own time p95 <= 30 s.

The indexer and alerter use consumer groups of their own (from the latest offsets) and the
alerter development and outbox indices of its own (deleted at the end), so earlier runs do not
swallow this run's alerts. The machine is shared: figures vary with the load of other work.

The cut measured here: warm task processes (``newswire.airflow.warm``, on by default). The
bench first measures with them off (the baseline), then on, Airflow restarted for each, in the
same run (about 25 minutes; ``--no-baseline`` measures only as configured). Airflow is stopped
at the end when the bench started it.

Run: ``.venv/bin/python benchmarks/bench_latency.py [--items N] [--interval S] [--no-baseline]
[--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any, ClassVar

import yaml
from elasticsearch import Elasticsearch

from newswire.airflow.bootstrap import CATALOGUE_VARIABLE
from newswire.airflow.client import AirflowClient
from newswire.airflow.manager import DAG_ID, LOCAL_SETTINGS_FILE, AirflowManager, TaskSettings
from newswire.airflow.settings import AirflowSettings
from newswire.demo.receivers import Inbox, webhook_receiver
from newswire.demo.runner import services
from newswire.demo.website import SiteStory, _Handler, page_html
from newswire.fsutil import write_text_atomically
from newswire.resources import resource_path
from newswire.settings import ElasticsearchSettings, StackSettings
from newswire.stack import StackManager
from schemas.indices import ARTICLES_INDEX

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The loopback servers of the tests' support plugin (tests/support/newswire_testing).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from news_pages import make_page
from newswire_testing.loopback import LoopbackServer

SECRET_ENV = "NEWSWIRE_BENCH_WEBHOOK_SECRET"  # the name of a variable, not a secret
#: The hubs of the leader-contact sentences: the extractor follows the Russia-Ukraine theatre.
HUBS = ("Vladimir Putin", "Volodymyr Zelenskyy")
HUB_COUNTRIES = frozenset({"RU", "UA"})
GOAL_P95_SECONDS = 30.0
FEED_ITEMS = 20
TASKS = ("list_sources", "fetch", "normalize", "publish", "extract_events")


def _now() -> float:
    return time.time()


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


# -- the loopback site ---------------------------------------------------------------------------
@dataclass
class Item:
    """One feed item and what happened to it."""

    number: int
    key: str
    url: str
    partner: str
    hub: str
    appeared: float | None = None
    polled: float | None = None
    run_id: str | None = None
    poll_start: float | None = None
    searchable: float | None = None
    webhook: float | None = None
    first_seen_at: float | None = None
    extracted_at: float | None = None
    stages: dict[str, float] = field(default_factory=dict)


def partners() -> list[str]:
    """Leaders in office (from the gazetteer) of other countries than the hubs' (a call between
    two leaders of one country is not a leader contact)."""
    people = yaml.safe_load(
        resource_path("newswire.extract", "data/gazetteer/people.yaml").read_text("utf-8")
    )["actors"]
    names: list[str] = []
    for person in people:
        terms = person.get("terms") or []
        current = any(
            t.get("end") is None and t.get("role") in {"head of state", "head of government"}
            for t in terms
        )
        foreign = person.get("country") not in HUB_COUNTRIES
        if person.get("kind") == "person" and current and foreign:
            names.append(person["name"])
    return names


def item_story(item: Item, published: datetime, rng: random.Random) -> SiteStory:
    """The article page of an item: one leader-contact sentence in realistic local news."""
    filler = make_page(item.number, rng).body_text.split("\n")[:6]
    lead = (
        f"{item.hub} and {item.partner} spoke by telephone on Monday, their offices said in "
        "statements issued after the call. The two leaders discussed the war in Ukraine, "
        "prisoners of war and regional security."
    )
    return SiteStory(
        slug=item.key,
        channel="rss",
        published=published,
        author="Bench Desk",
        title=f"{item.hub} and {item.partner} hold phone call",
        paragraphs=(lead, *filler),
    )


class LiveFeed:
    """An RSS feed on loopback whose items grow; records when each poll saw which items."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.stories: list[SiteStory] = []
        self.polls: list[tuple[float, frozenset[str]]] = []
        self.lock = threading.Lock()
        self.base = ""
        self._served_keys: frozenset[str] = frozenset()

    def add(self, story: SiteStory) -> None:
        """Publish a story: its page first, then the feed that links to it."""
        with self.lock:
            self.stories.append(story)
            self.routes[story.path] = ("text/html; charset=utf-8", page_html(story).encode())
            latest = self.stories[-FEED_ITEMS:]
            items = "".join(
                f"<item><title>{escape(s.title)}</title><link>{self.base}{s.path}</link>"
                f"<guid>{self.base}{s.path}</guid>"
                f"<pubDate>{format_datetime(s.published)}</pubDate>"
                f"<description>{escape(s.paragraphs[0][:160])}</description></item>"
                for s in reversed(latest)
            )
            feed = (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Bench wire</title><link>{self.base}/</link>"
                f"<description>newswire latency bench</description>{items}</channel></rss>"
            )
            self.routes["/feed.rss"] = ("application/rss+xml", feed.encode())
            self.routes["/robots.txt"] = ("text/plain", b"User-agent: *\nAllow: /\n")
            self._served_keys = frozenset(s.slug for s in latest)

    def polled(self) -> None:
        with self.lock:
            self.polls.append((_now(), self._served_keys))

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on a free loopback port; yields the base URL."""
        feed = self

        class Handler(_Handler):
            site: ClassVar[dict[str, tuple[str, bytes]]] = feed.routes

            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                if self.path.split("?", 1)[0] == "/feed.rss":
                    feed.polled()
                super().do_GET()

        with LoopbackServer(Handler) as server:
            self.base = server.url
            yield self.base


# -- watching the outputs ------------------------------------------------------------------------
class Watcher:
    """Stamps when each item becomes searchable and when its alert arrives."""

    def __init__(self, items: Sequence[Item], hook: Inbox, es: Elasticsearch) -> None:
        self.by_key = {item.key: item for item in items}
        self.hook = hook
        self.es = es
        self.seen_alerts = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(0.2, self._alerts), daemon=True),
            threading.Thread(target=self._loop, args=(0.5, self._search), daemon=True),
        ]

    def __enter__(self) -> Watcher:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _loop(self, period: float, step: Callable[[], None]) -> None:
        while not self._stop.wait(period):
            try:
                step()
            except Exception as exc:  # a bench keeps measuring; the errors are shown at the end
                self.errors.append(f"{step.__name__}: {exc}")

    def _alerts(self) -> None:
        received = self.hook.items()
        now = _now()
        for body in received[self.seen_alerts :]:
            url = str(body.get("event", {}).get("article_url") or "")
            for key, item in self.by_key.items():
                if key in url and item.webhook is None:
                    item.webhook = now
                    item.extracted_at = _ts(body["event"].get("extracted_at"))
        self.seen_alerts = len(received)

    def _search(self) -> None:
        pending = [i for i in self.by_key.values() if i.appeared and i.searchable is None]
        if not pending:
            return
        found = self.es.search(
            index=ARTICLES_INDEX.alias,
            size=len(pending),
            query={"terms": {"url": [item.url for item in pending]}},
            source=["url", "first_seen_at"],
        )
        now = _now()
        by_url = {item.url: item for item in pending}
        for hit in found["hits"]["hits"]:
            item = by_url.get(hit["_source"]["url"])
            if item is not None:
                item.searchable = now
                item.first_seen_at = _ts(hit["_source"].get("first_seen_at"))

    def done(self) -> bool:
        return all(i.searchable and i.webhook for i in self.by_key.values() if i.appeared)


# -- Airflow's side ------------------------------------------------------------------------------
def attribute(items: Sequence[Item], feed: LiveFeed, client: AirflowClient) -> None:
    """Find the poll and the run that first saw each item, and its task timings."""
    runs = {r["dag_run_id"]: r for r in client.list_runs(DAG_ID, limit=100)}
    tasks: dict[str, list[dict[str, Any]]] = {}
    for run_id in runs:
        tasks[run_id] = client.task_instances(DAG_ID, run_id)
    for item in items:
        seen = [t for t, keys in feed.polls if item.key in keys and item.appeared]
        if not seen:
            continue
        item.polled = seen[0]
        for run_id, instances in tasks.items():
            fetch = [t for t in instances if t["task_id"] == "fetch"]
            if any(
                (_ts(t.get("start_date")) or 1e18) <= item.polled <= (_ts(t.get("end_date")) or 0)
                for t in fetch
            ):
                item.run_id = run_id
                break
        if item.run_id is None:
            continue
        run = runs[item.run_id]
        tick = _ts(run.get("run_after")) or _ts(run.get("start_date")) or item.polled
        assert item.appeared is not None
        item.poll_start = max(tick, item.appeared)
        item.stages = stage_times(item, run, tasks[item.run_id])


def stage_times(
    item: Item, run: dict[str, Any], instances: list[dict[str, Any]]
) -> dict[str, float]:
    """Seconds of each part of the pipeline for one item (poll start to webhook)."""
    assert item.poll_start is not None
    by_task = {t["task_id"]: t for t in instances}
    stages: dict[str, float] = {}
    previous = max(_ts(run.get("start_date")) or item.poll_start, item.poll_start)
    stages["scheduler: tick to run start"] = previous - item.poll_start
    for name in TASKS:
        task = by_task.get(name)
        start, end = (_ts(task.get("start_date")), _ts(task.get("end_date"))) if task else (0, 0)
        if not start or not end:
            continue
        stages[f"{name}: start-up/queueing"] = max(0.0, start - previous)
        stages[f"{name}: run"] = end - start
        previous = end
        if name == "publish" and item.searchable:
            publish_end = end
    if item.searchable and "publish: run" in stages:
        stages["indexing: publish end to searchable"] = item.searchable - publish_end
    if item.webhook:
        stages["alerting: extract_events end to webhook"] = item.webhook - previous
        if item.extracted_at and "extract_events: run" in stages:
            start = _ts(by_task["extract_events"]["start_date"]) or 0.0
            stages["  of extract_events run: start to extracted_at (imports, model)"] = (
                item.extracted_at - start
            )
    return stages


# -- figures -------------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(items: Sequence[Item]) -> dict[str, Any]:
    """p50/p95 of each measure, and the mean/p95 of each stage."""
    measured = [i for i in items if i.poll_start and i.webhook and i.searchable]
    assert all(i.appeared for i in measured)

    def figures(values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        return {
            "p50": round(percentile(values, 0.5), 2),
            "p95": round(percentile(values, 0.95), 2),
            "max": round(max(values), 2),
        }

    def span(a: str, b: str) -> list[float]:
        return [getattr(i, b) - getattr(i, a) for i in measured]

    stage_names = list(dict.fromkeys(name for i in measured for name in i.stages))
    return {
        "items": len(items),
        "measured": len(measured),
        "wait_for_poll": figures(span("appeared", "poll_start")),
        "pipeline_poll_to_webhook": figures(span("poll_start", "webhook")),
        "pipeline_poll_to_searchable": figures(span("poll_start", "searchable")),
        "appeared_to_searchable": figures(span("appeared", "searchable")),
        "appeared_to_webhook": figures(span("appeared", "webhook")),
        "stages": {
            name: {
                "mean": round(statistics.fmean(v), 2),
                "p95": round(percentile(v, 0.95), 2),
            }
            for name in stage_names
            if (v := [i.stages[name] for i in measured if name in i.stages])
        },
    }


def print_summary(result: dict[str, Any]) -> None:
    """The figures, readable."""
    load = result.get("load_average_1min", {})
    print(
        f"\nitems {result['items']}, measured {result['measured']} (machine: 2 cores shared "
        f"with other work; 1-min load average {load.get('min')}-{load.get('max')}, "
        f"mean {load.get('mean')})"
    )
    for name in (
        "wait_for_poll",
        "pipeline_poll_to_webhook",
        "pipeline_poll_to_searchable",
        "appeared_to_searchable",
        "appeared_to_webhook",
    ):
        f = result[name]
        if f:
            print(
                f"  {name:30s} p50 {f['p50']:7.2f} s   p95 {f['p95']:7.2f} s   max {f['max']:7.2f} s"
            )
    print("  where the pipeline's time goes (per item, seconds):")
    for name, f in result["stages"].items():
        print(f"    {name:58s} mean {f['mean']:6.2f}   p95 {f['p95']:6.2f}")
    p95 = result["pipeline_poll_to_webhook"].get("p95")
    if p95 is not None:
        verdict = "meets" if p95 <= GOAL_P95_SECONDS else "misses"
        print(f"  goal: pipeline p95 <= {GOAL_P95_SECONDS:.0f} s: {verdict} ({p95:.1f} s)")


# -- the run -------------------------------------------------------------------------------------
def subscriptions_yaml(hook_url: str) -> str:
    """One subscription: every leader contact, to the bench's webhook."""
    return yaml.safe_dump(
        {
            "subscriptions": [
                {
                    "id": "bench-latency",
                    "description": "Every leader contact (latency bench)",
                    "event_types": ["LEADER_CONTACT"],
                    "modalities": ["asserted", "reported", "planned"],
                    "channels": [{"type": "webhook", "url": hook_url, "secret_env": SECRET_ENV}],
                }
            ]
        },
        sort_keys=False,
    )


def wait_for_log(path: Path, text: str, timeout: float) -> None:
    """Wait until a service's log has ``text`` (its consumer joined the group)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise SystemExit(f"{path.name}: no {text!r} after {timeout:.0f} s")


def feed_items(
    args: argparse.Namespace,
    feed: LiveFeed,
    measured: Sequence[Item],
    watcher: Watcher,
    rng: random.Random,
) -> tuple[list[str], list[float]]:
    """After the warm-up poll, add the items one by one and wait for them; errors and loads."""
    deadline = time.monotonic() + 300
    while not feed.polls and time.monotonic() < deadline:
        time.sleep(1)
    if not feed.polls:
        raise SystemExit("the scheduler did not poll the feed within 300 s")
    time.sleep(5)
    loads = [os.getloadavg()[0]]
    with watcher:
        for item in measured:
            item.appeared = _now()
            feed.add(item_story(item, datetime.now(UTC), rng))
            print(f"  +{item.key} ({item.hub} / {item.partner})", flush=True)
            time.sleep(rng.uniform(0.5, 1.5) * args.interval)
            loads.append(os.getloadavg()[0])
        deadline = time.monotonic() + args.settle
        while not watcher.done() and time.monotonic() < deadline:
            time.sleep(1)
    return watcher.errors, loads


def airflow_in_mode(warm: bool | None, stack: StackSettings) -> AirflowManager:
    """The local Airflow with warm task processes on or off (``None``: as configured).

    The running Airflow is stopped when it runs in the other mode (``airflow up`` writes the
    warm-up's local settings only when it is on, so the file tells the running mode).
    """
    settings = AirflowSettings() if warm is None else AirflowSettings(warm_tasks=warm)
    manager = AirflowManager(settings, stack)
    running_warm = (manager.home / "config" / LOCAL_SETTINGS_FILE).exists()
    if manager.status().running and running_warm != settings.warm_tasks:
        print(f"restarting Airflow with warm_tasks={settings.warm_tasks}")
        manager.down()
    return manager


def run(args: argparse.Namespace, manager: AirflowManager, stack: StackSettings) -> dict[str, Any]:
    """Start everything, feed items, watch, attribute; returns the summary."""
    running = StackManager(stack).up()
    print(f"stack: Kafka {running.bootstrap_servers}, Elasticsearch {running.elasticsearch_url}")
    tasks = TaskSettings.from_environment()  # after `up`, which wrote the stack's env file
    airflow = manager.up(tasks)
    print(
        f"Airflow {airflow.version} at {airflow.api_url}, "
        f"warm task processes: {manager.settings.warm_tasks}"
    )
    nonce = uuid.uuid4().hex[:8]
    work = manager.stack_home / "bench-latency" / nonce
    work.mkdir(parents=True)
    rng = random.Random(nonce)
    names = partners()
    pairs = [(hub, partner) for partner in names for hub in HUBS]
    rng.shuffle(pairs)
    total = args.warmup + args.items
    if total > len(pairs):
        raise SystemExit(f"at most {len(pairs)} items (one actor pair each)")
    feed = LiveFeed()
    items = [
        Item(n, f"lat-{nonce}-{n:03d}", "", partner, hub)
        for n, (hub, partner) in enumerate(pairs[:total])
    ]
    prefix = f"bench-latency-{nonce}"
    env = {
        **os.environ,
        **manager.task_environment(tasks),
        SECRET_ENV: secrets.token_hex(16),
        "NEWSWIRE_INDEXER_GROUP_ID": f"{prefix}-indexer",
        "NEWSWIRE_INDEXER_AUTO_OFFSET_RESET": "latest",
        "NEWSWIRE_ALERTER_GROUP_ID": f"{prefix}-alerter",
        "NEWSWIRE_ALERTER_AUTO_OFFSET_RESET": "latest",
        "NEWSWIRE_ALERTER_DEVELOPMENTS_INDEX": f"{prefix}-developments",
        "NEWSWIRE_ALERTER_OUTBOX_INDEX": f"{prefix}-outbox",
    }
    es = Elasticsearch(**ElasticsearchSettings().client_options())  # type: ignore[arg-type]
    with (
        feed.serve() as base,
        webhook_receiver() as (hook_url, hook),
        manager.client() as client,
    ):
        for item in items:
            item.url = f"{base}/articles/{item.key}.html"
        catalogue = work / "catalogue.yaml"
        source = {
            "id": f"bench-latency-{nonce}",
            "kind": "rss",
            "url": f"{base}/feed.rss",
            "schedule": "* * * * *",
            "allow_private_network": True,
            "rate_limit_per_second": 50.0,
            "language": "en",
        }
        write_text_atomically(catalogue, yaml.safe_dump({"sources": [source]}, sort_keys=False))
        subscriptions = work / "subscriptions.yaml"
        write_text_atomically(subscriptions, subscriptions_yaml(hook_url))
        warm, measured = items[: args.warmup], items[args.warmup :]
        for item in warm:
            feed.add(item_story(item, datetime.now(UTC), rng))
        with services(work, subscriptions, env):
            for name in ("indexer", "alerter"):
                wait_for_log(work / f"{name}.log", "consumer started", 300)
            with client.variable_set(CATALOGUE_VARIABLE, str(catalogue), "latency bench"):
                try:
                    client.set_paused(DAG_ID, False)
                    print(f"catalogue {catalogue}; ingest_news unpaused; warm-up poll...")
                    errors, loads = feed_items(
                        args, feed, measured, Watcher(measured, hook, es), rng
                    )
                finally:
                    client.set_paused(DAG_ID, True)
        attribute(measured, feed, client)
    # The alerter's indices of this run (names, not wildcards: destructive_requires_name).
    own = es.options(ignore_status=404).indices.get(index=f"{prefix}-*", expand_wildcards="all")
    for index in own if isinstance(own.body, dict) and "error" not in own.body else ():
        es.indices.delete(index=index)
    es.close()
    if errors:
        print(f"watcher errors ({len(errors)}), first: {errors[0]}")
    missing = [i.key for i in measured if not (i.searchable and i.webhook and i.poll_start)]
    if missing:
        print(f"not measured (no search hit, alert or poll attributed): {missing}")
    result = summary(measured)
    result["airflow"] = airflow.version
    result["warm_tasks"] = manager.settings.warm_tasks
    result["load_average_1min"] = {
        "min": round(min(loads), 1),
        "mean": round(statistics.fmean(loads), 1),
        "max": round(max(loads), 1),
    }
    result["interval_seconds"] = args.interval
    result["per_item"] = [asdict(i) for i in measured]
    return result


def main() -> None:
    """Parse the options, run (cold baseline first with ``--baseline``), print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=30, help="measured items (>= 20 to report)")
    parser.add_argument("--interval", type=float, default=20.0, help="mean seconds between items")
    parser.add_argument("--warmup", type=int, default=2, help="items in the feed before the start")
    parser.add_argument("--settle", type=float, default=240.0, help="max wait after the last item")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first measure with cold task processes (NEWSWIRE_AIRFLOW_WARM_TASKS=false), "
        "then warm ones, Airflow restarted for each (default); --no-baseline: only as configured",
    )
    parser.add_argument("--json", type=Path, help="also write the figures (and per item) here")
    args = parser.parse_args()
    stack = StackSettings()
    was_running = AirflowManager(AirflowSettings(), stack).status().running
    results: dict[str, dict[str, Any]] = {}
    try:
        for warm in (False, True) if args.baseline else (None,):
            result = run(args, airflow_in_mode(warm, stack), stack)
            label = "warm task processes" if result["warm_tasks"] else "cold task processes"
            results[label] = result
            print(f"\n== {label}")
            print_summary(result)
    finally:
        if not was_running:
            AirflowManager(AirflowSettings(), stack).down()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if len(results) == 2:
        cold, warm_run = (r["pipeline_poll_to_webhook"] for r in results.values())
        if cold and warm_run:
            print(
                f"\npipeline p95 warm/cold: {warm_run['p95'] / cold['p95']:.2f}x "
                f"({warm_run['p95']:.1f} s vs {cold['p95']:.1f} s), "
                f"p50 {warm_run['p50'] / cold['p50']:.2f}x"
            )
    short = [k for k, r in results.items() if r["measured"] < min(20, args.items)]
    if short:
        raise SystemExit(f"fewer than 20 items measured: {short}")


if __name__ == "__main__":
    main()
