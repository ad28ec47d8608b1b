"""``AirflowClient``: the few calls of Airflow's REST API v2 that newswire makes (httpx).

It logs in with ``POST /auth/token`` (the simple auth manager's users, or FAB's) and sends the
JWT it gets as a bearer token; a 401 fetches a new token once. Every call has a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from newswire.airflow.errors import AirflowApiError
from newswire.lifecycle import Resource

#: Dag run states after which nothing changes any more.
FINISHED_STATES = frozenset({"success", "failed"})


def is_transient(error: AirflowApiError) -> bool:
    """Whether a failed call may succeed when repeated: no answer at all, or a 5xx."""
    return error.status_code is None or error.status_code >= 500


class AirflowClient(Resource):
    """A logged-in client of one api-server (``api_url`` like ``http://127.0.0.1:8080``)."""

    def __init__(
        self,
        api_url: str,
        username: str,
        password: str,
        *,
        timeout_seconds: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._username = username
        self._password = password
        self._http = httpx.Client(
            base_url=self.api_url, timeout=timeout_seconds, transport=transport
        )
        self._token: str | None = None

    def open(self) -> AirflowClient:
        """Nothing to do: the connection pool opens on the first call and logs in then."""
        return self

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- plumbing --------------------------------------------------------------------------
    def token(self) -> str:
        """A fresh JWT for the REST API from ``POST /auth/token``."""
        try:
            response = self._http.post(
                "/auth/token", json={"username": self._username, "password": self._password}
            )
        except httpx.HTTPError as exc:
            raise AirflowApiError(f"cannot reach Airflow at {self.api_url}: {exc}") from exc
        if response.status_code not in (200, 201):
            raise AirflowApiError(
                f"Airflow refused the login of {self._username!r}: "
                f"{response.status_code} {response.text[:300]}",
                status_code=response.status_code,
            )
        token = response.json().get("access_token")
        if not isinstance(token, str) or not token:
            raise AirflowApiError("Airflow's /auth/token answered without an access_token")
        self._token = token
        return token

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        """Send an authenticated request; raise :class:`AirflowApiError` unless its status is ``ok``."""
        for attempt in range(2):
            token = self._token or self.token()
            try:
                response = self._http.request(
                    method,
                    path,
                    json=json,
                    params=params,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.HTTPError as exc:
                raise AirflowApiError(f"{method} {path}: cannot reach Airflow: {exc}") from exc
            if response.status_code == 401 and attempt == 0:
                self._token = None
                continue
            break
        if response.status_code not in ok:
            raise AirflowApiError(
                f"{method} {path}: {response.status_code} {response.text[:500]}",
                status_code=response.status_code,
            )
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = self.request(method, path, **kwargs).json()
        if not isinstance(body, dict):
            raise AirflowApiError(f"{method} {path}: expected a JSON object, got {body!r:.200}")
        return body

    # -- health and DAGs -------------------------------------------------------------------
    def version(self) -> str:
        """The api-server's Airflow version (``GET /api/v2/version``)."""
        return str(self._json("GET", "/api/v2/version").get("version", ""))

    def get_dag(self, dag_id: str) -> dict[str, Any] | None:
        """The DAG as the API describes it, or ``None`` while it is not registered."""
        response = self.request("GET", f"/api/v2/dags/{quote(dag_id)}", ok=(200, 404))
        if response.status_code == 404:
            return None
        body: dict[str, Any] = response.json()
        return body

    def set_paused(self, dag_id: str, paused: bool) -> None:
        """Pause or unpause a DAG."""
        self.request("PATCH", f"/api/v2/dags/{quote(dag_id)}", json={"is_paused": paused})

    # -- runs ------------------------------------------------------------------------------
    def trigger_run(
        self,
        dag_id: str,
        conf: Mapping[str, Any] | None = None,
        *,
        run_after: datetime | None = None,
    ) -> dict[str, Any]:
        """Trigger a manual run now; returns the new run (its ``dag_run_id`` among others).

        ``run_after`` (default: now) also orders queued runs: with ``max_active_runs=1`` the
        scheduler starts the queued run with the earliest ``run_after`` first.
        """
        body: dict[str, Any] = {"conf": dict(conf or {}), "logical_date": None}
        if run_after is not None:
            body["run_after"] = run_after.isoformat()
        return self._json("POST", f"/api/v2/dags/{quote(dag_id)}/dagRuns", json=body)

    def get_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """One run of a DAG."""
        return self._json("GET", f"/api/v2/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}")

    def list_runs(self, dag_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The DAG's most recent runs, newest first."""
        body = self._json(
            "GET",
            f"/api/v2/dags/{quote(dag_id)}/dagRuns",
            params={"limit": limit, "order_by": "-run_after"},
        )
        return list(body.get("dag_runs", []))

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of a run (mapped ones one per map index)."""
        body = self._json(
            "GET",
            f"/api/v2/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances",
            params={"limit": 1000},
        )
        return list(body.get("task_instances", []))

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """The deserialized XCom value a task instance pushed."""
        body = self._json(
            "GET",
            f"/api/v2/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances/"
            f"{quote(task_id)}/xcomEntries/{quote(key)}",
            params={"deserialize": "true"},
        )
        return body.get("value")

    def wait_for_run(
        self, dag_id: str, run_id: str, *, timeout_seconds: float = 600.0, poll_seconds: float = 2.0
    ) -> dict[str, Any]:
        """Poll a run until it succeeded or failed; raise :class:`AirflowApiError` on timeout.

        A poll that times out or gets a 5xx (a busy SQLite metadata database answers "database
        error" now and then) is tried again at the next poll, so only ``timeout_seconds`` ends
        the wait; any other refusal ends it at once.
        """
        deadline = time.monotonic() + timeout_seconds
        state: object = "unknown"
        while True:
            try:
                run = self.get_run(dag_id, run_id)
            except AirflowApiError as exc:
                if not is_transient(exc):
                    raise
                state = f"unknown (last poll: {exc})"
            else:
                if run.get("state") in FINISHED_STATES:
                    return run
                state = run.get("state")
            if time.monotonic() >= deadline:
                raise AirflowApiError(
                    f"run {run_id} of {dag_id} is still {state} after {timeout_seconds:.0f} s"
                )
            time.sleep(poll_seconds)

    # -- pools and variables -----------------------------------------------------------------
    def ensure_pool(self, name: str, slots: int, description: str = "") -> None:
        """Create the pool, or set its slots when it exists with others."""
        response = self.request("GET", f"/api/v2/pools/{quote(name)}", ok=(200, 404))
        if response.status_code == 404:
            self.request(
                "POST",
                "/api/v2/pools",
                json={"name": name, "slots": slots, "description": description},
                ok=(200, 201),
            )
        elif response.json().get("slots") != slots:
            self.request(
                "PATCH",
                f"/api/v2/pools/{quote(name)}",
                json={"name": name, "slots": slots, "description": description},
            )

    def get_variable(self, key: str) -> str | None:
        """A Variable's value, or ``None`` when it is not set."""
        response = self.request("GET", f"/api/v2/variables/{quote(key)}", ok=(200, 404))
        if response.status_code == 404:
            return None
        value = response.json().get("value")
        return None if value is None else str(value)

    def set_variable(self, key: str, value: str, description: str = "") -> None:
        """Create or overwrite a Variable."""
        body = {"key": key, "value": value, "description": description}
        response = self.request("POST", "/api/v2/variables", json=body, ok=(200, 201, 409))
        if response.status_code == 409:
            self.request("PATCH", f"/api/v2/variables/{quote(key)}", json=body)

    def delete_variable(self, key: str) -> None:
        """Remove a Variable (nothing happens when it is not set)."""
        self.request("DELETE", f"/api/v2/variables/{quote(key)}", ok=(200, 204, 404))

    @contextmanager
    def variable_set(self, key: str, value: str, description: str = "") -> Iterator[None]:
        """Set a Variable for the duration of a block, then restore it (or remove it)."""
        previous = self.get_variable(key)
        self.set_variable(key, value, description)
        try:
            yield
        finally:
            if previous is None:
                self.delete_variable(key)
            else:
                self.set_variable(key, previous)
