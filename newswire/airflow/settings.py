"""Settings of the local Airflow that ``newswire airflow up`` runs (env prefix ``NEWSWIRE_AIRFLOW_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

import newswire


def repository_dags_folder() -> Path:
    """The repository's ``dags/`` folder, found from the package (not the working directory)."""
    return Path(newswire.__file__).resolve().parents[1] / "dags"


class AirflowSettings(BaseSettings):
    """How the local Airflow runs: api-server port, login, DAGs folder, metadata database.

    A port of 0 means "pick a free loopback port on first start, then keep it". Without a
    password one is generated on first start and kept in the Airflow home (mode 0600). Without
    ``sql_alchemy_conn`` the metadata database is SQLite in the Airflow home.
    """

    # Errors never quote the values given (the password and database URL).
    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_AIRFLOW_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    port: int = Field(default=0, ge=0, le=65535)
    username: str = Field(default="admin", pattern=r"^[A-Za-z0-9_.-]+$")
    password: SecretStr | None = None
    dags_folder: Path = Field(default_factory=repository_dags_folder)
    sql_alchemy_conn: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL of the metadata database (default SQLite)."
    )
    parallelism: int = Field(default=4, ge=1, le=64)
    warm_tasks: bool = Field(
        default=True,
        description=(
            "Have the scheduler import the task modules and load the spaCy model before its "
            "LocalExecutor forks, so tasks start warm (newswire.airflow.warm)."
        ),
    )
    start_timeout_seconds: float = Field(default=300.0, gt=0)
    stop_timeout_seconds: float = Field(default=30.0, gt=0)
    api_timeout_seconds: float = Field(default=30.0, gt=0)
    migrate_timeout_seconds: float = Field(default=600.0, gt=0)
