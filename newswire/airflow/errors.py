"""Errors of the local Airflow and its REST client."""

from __future__ import annotations

from newswire.errors import NewswireError


class AirflowError(NewswireError):
    """Airflow could not be started, reached or asked something."""


class AirflowApiError(AirflowError):
    """The REST API answered with an error status (or not at all)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
