"""Airflow's UI in a real browser: Debian's headless Chromium, driven by playwright.

Against the api-server of ``newswire airflow up`` (the conftest's ``airflow_login``, shared with
the scheduler test so that no second Airflow starts): sign in with the login ``newswire airflow
status --json`` prints, find ``ingest_news`` in the DAG list with its tags and schedule and, on
its page, its owner (whose link lists it again), then open a finished run (one of the scheduler
test's when it ran first; else one triggered here on the loopback site) and find its mapped
tasks succeeded, in the run's task list and on the mapped task's own page.

Every step leaves a screenshot in ``$NEWSWIRE_TEST_ARTIFACTS/airflow-ui`` (else the test's tmp
dir); the directory is printed. The browser is ``/usr/bin/chromium`` (``apt-get install
chromium``, which ``.ci/run`` does when it is missing); nothing here downloads one. Airflow's UI
is a React app: every check waits for its element, none sleeps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

import pytest
import yaml
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from newswire.airflow.bootstrap import CATALOGUE_VARIABLE
from newswire.airflow.client import AirflowClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_ID = "ingest_news"
OWNER = "newswire-ingest"
CHROMIUM = Path("/usr/bin/chromium")
# The UI renders on a loaded 2-core machine; every wait is for an element, up to this long.
WAIT_MS = 60_000
MAPPED_TASKS = ("fetch", "normalize", "publish")
# The api-server (SQLite, one worker) has been seen to stall for 30 s on the loaded machine.
API_TIMEOUT_S = 120.0


class Site(Protocol):
    base_url: str


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    """Where the screenshots go: ``$NEWSWIRE_TEST_ARTIFACTS/airflow-ui``, else tmp_path."""
    root = os.environ.get("NEWSWIRE_TEST_ARTIFACTS")
    directory = Path(root) / "airflow-ui" if root else tmp_path / "airflow-ui"
    directory.mkdir(parents=True, exist_ok=True)
    print(f"Airflow UI screenshots: {directory}")
    return directory


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium (``--no-sandbox`` as root, where its sandbox cannot start)."""
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    expect.set_options(timeout=WAIT_MS)
    args = ["--disable-dev-shm-usage"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args, timeout=WAIT_MS
        )
        try:
            yield browser
        finally:
            browser.close()


def _mapped_ok(instances: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Map indexes per mapped task when every one of them succeeded, else ``{}``."""
    indexes: dict[str, list[int]] = {}
    for task_id in MAPPED_TASKS:
        mapped = [t for t in instances if t["task_id"] == task_id and t["map_index"] >= 0]
        if not mapped or any(t["state"] != "success" for t in mapped):
            return {}
        indexes[task_id] = sorted(t["map_index"] for t in mapped)
    return indexes


def _finished_run(
    client: AirflowClient, request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[str, dict[str, list[int]]]:
    """A successful run whose mapped tasks all succeeded, and their map indexes.

    The newest such run the scheduler test left behind (its manual run first, which maps over
    two sources); when this test runs on its own, one triggered here over two loopback feeds.
    """
    runs = client.list_runs(DAG_ID, limit=10)
    for run in sorted(runs, key=lambda run: run["run_type"] != "manual"):
        if run["state"] == "success":
            mapped = _mapped_ok(client.task_instances(DAG_ID, run["dag_run_id"]))
            if mapped:
                return run["dag_run_id"], mapped
    site: Site = request.getfixturevalue("news_site")
    catalogue = tmp_path / "catalogue.yaml"
    common = {"allow_private_network": True, "rate_limit_per_second": 50.0, "schedule": "@daily"}
    catalogue.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {"id": "ui-atom", "kind": "atom", "url": f"{site.base_url}/feed.atom"} | common,
                    {"id": "ui-rss", "kind": "rss", "url": f"{site.base_url}/feed.rss"} | common,
                ]
            }
        ),
        encoding="utf-8",
    )
    # Runs start only while the DAG is unpaused: the manual run is queued first so that the
    # scheduled run unpausing creates (one active run at a time) comes after it; scheduled runs
    # read the Variable (the conftest pauses the DAG and removes the Variable again).
    client.set_variable(CATALOGUE_VARIABLE, str(catalogue))
    run = client.trigger_run(DAG_ID, {"catalogue": str(catalogue), "extract_events": False})
    client.set_paused(DAG_ID, False)
    finished = client.wait_for_run(DAG_ID, run["dag_run_id"], timeout_seconds=240)
    instances = client.task_instances(DAG_ID, run["dag_run_id"])
    mapped = _mapped_ok(instances)
    assert finished["state"] == "success" and mapped, [
        (t["task_id"], t["map_index"], t["state"]) for t in instances
    ]
    return run["dag_run_id"], mapped


def _stat(page: Page, heading: str) -> Locator:
    """One of the figures in a page's header card (Schedule, Owner, Tags, ...)."""
    return (
        page.get_by_test_id("header-card")
        .get_by_test_id("stat")
        .filter(has=page.get_by_role("heading", name=heading, exact=True))
    )


def _dag_card(page: Page) -> Locator:
    return page.get_by_test_id("dag-card").filter(
        has=page.get_by_test_id("dag-id").filter(has_text=re.compile(f"^{DAG_ID}$"))
    )


def _rows(page: Page) -> Locator:
    return page.get_by_test_id("table-list").locator("tbody tr")


def _sign_in(page: Page, login: dict[str, Any]) -> None:
    page.goto(f"{login['api_url']}/")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.locator("input[name=username]").fill(login["username"])
    page.locator("input[name=password]").fill(login["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("nav-sidebar")).to_be_visible()


def _check_dag_list(page: Page, tags: list[str], schedule: str, shots: Path) -> None:
    page.get_by_test_id("nav-dags-link").click()
    expect(page).to_have_url(re.compile(r"/dags/?$"))
    page.get_by_label("Show card view").click()
    card = _dag_card(page)
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("schedule")).to_contain_text(schedule)
    for tag in tags:
        expect(card.get_by_role("link", name=tag, exact=True)).to_have_attribute(
            "href", f"/dags?tags={tag}"
        )
    page.screenshot(path=shots / "01-dag-list.png", full_page=True)


def _check_dag_page(page: Page, owner: str, tags: list[str], schedule: str, shots: Path) -> None:
    _dag_card(page).get_by_test_id("dag-id").click()
    expect(page).to_have_url(re.compile(f"/dags/{DAG_ID}/?$"))
    expect(_stat(page, "Schedule")).to_contain_text(schedule)
    for tag in tags:
        expect(_stat(page, "Tags").get_by_role("link", name=tag, exact=True)).to_be_visible()
    owner_link = _stat(page, "Owner").get_by_role("link", name=owner, exact=True)
    expect(owner_link).to_be_visible()
    page.screenshot(path=shots / "02-dag-page.png", full_page=True)
    # The owner's link lists the DAGs of that owner: ingest_news among them.
    owner_link.click()
    expect(page).to_have_url(re.compile(f"/dags\\?owners={re.escape(owner)}"))
    expect(_dag_card(page)).to_have_count(1)
    page.go_back()
    expect(page).to_have_url(re.compile(f"/dags/{DAG_ID}/?$"))


def _check_run(page: Page, run_id: str, mapped: dict[str, list[int]], shots: Path) -> None:
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page).to_have_url(re.compile(f"/dags/{DAG_ID}/runs/?$"))
    page.get_by_test_id("table-cell-dag_run_id").get_by_role("link", name=run_id).click()
    page.wait_for_url(lambda url: unquote(url).rstrip("/").endswith(f"/runs/{run_id}"))
    header = page.get_by_test_id("header-card")
    expect(header.get_by_role("heading", name=run_id, exact=True)).to_be_visible()
    expect(header.get_by_test_id("state-badge").first).to_have_text("Success")
    for task_id, indexes in mapped.items():
        rows = _rows(page).filter(
            has=page.get_by_test_id("table-cell-task_display_name").get_by_title(
                task_id, exact=True
            )
        )
        expect(rows).to_have_count(len(indexes))
        expect(rows.get_by_test_id("table-cell-state")).to_have_text(["Success"] * len(indexes))
        shown = rows.get_by_test_id("table-cell-rendered_map_index").all_inner_texts()
        assert sorted(int(text) for text in shown) == indexes, (task_id, shown)
    page.screenshot(path=shots / "03-run.png", full_page=True)


def _check_mapped_task(page: Page, run_id: str, indexes: list[int], shots: Path) -> None:
    # The run's cell of the fetch row in the grid opens the mapped task of that run.
    page.get_by_test_id(f"grid-{run_id}-fetch").click()
    expect(page).to_have_url(re.compile(r"/tasks/fetch/mapped/?$"))
    header = page.get_by_test_id("header-card")
    expect(header.get_by_role("heading", name=f"fetch [{len(indexes)}]")).to_be_visible()
    expect(header.get_by_test_id("state-badge").first).to_have_text("Success")
    expect(_stat(page, "Total Success")).to_contain_text(str(len(indexes)))
    heading = page.get_by_role("heading", name=re.compile(f"^{len(indexes)} Task Instances?$"))
    expect(heading).to_be_visible()
    rows = _rows(page)
    expect(rows.get_by_test_id("table-cell-state")).to_have_text(["Success"] * len(indexes))
    shown = rows.get_by_test_id("table-cell-rendered_map_index").all_inner_texts()
    assert sorted(int(text) for text in shown) == indexes, shown
    # The grid cell's tooltip would hide the heading in the screenshot.
    heading.hover()
    expect(page.get_by_role("tooltip")).to_have_count(0)
    page.screenshot(path=shots / "04-mapped-fetch.png", full_page=True)


@pytest.mark.timeout(900)  # a cold ``airflow up`` and the fallback run when run on its own
def test_the_ui_shows_ingest_news_and_a_finished_run_whose_mapped_tasks_succeeded(
    airflow_login: dict[str, Any],
    chromium: Browser,
    artefacts: Path,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    with AirflowClient(
        airflow_login["api_url"],
        airflow_login["username"],
        airflow_login["password"],
        timeout_seconds=API_TIMEOUT_S,
    ) as client:
        dag = client.get_dag(DAG_ID)
        assert dag is not None, f"{DAG_ID} is not registered"
        run_id, mapped = _finished_run(client, request, tmp_path)
    # What the UI must show, as the REST API has it (and the owner as the DAG file sets it).
    assert dag["owners"] == [OWNER], dag["owners"]
    tags = sorted(tag["name"] for tag in dag["tags"])
    assert tags == ["ingest", "newswire"], tags
    schedule = dag["timetable_summary"]
    assert schedule == "* * * * *", schedule

    context = chromium.new_context(
        viewport={"width": 1400, "height": 1200}, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        _sign_in(page, airflow_login)
        _check_dag_list(page, tags, schedule, artefacts)
        _check_dag_page(page, OWNER, tags, schedule, artefacts)
        _check_run(page, run_id, mapped, artefacts)
        _check_mapped_task(page, run_id, mapped["fetch"], artefacts)
    except Exception:
        page.screenshot(path=artefacts / "failure.png", full_page=True)
        raise
    finally:
        context.close()
