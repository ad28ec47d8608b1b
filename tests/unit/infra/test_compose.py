"""docker-compose.yml cannot run here (no Docker engine), so it is checked statically."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from newswire.settings import StackSettings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "infra" / "docker" / "Dockerfile"

LONG_RUNNING = {
    "kafka",
    "elasticsearch",
    "kibana",
    "postgres",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "indexer",
    "alerter",
}
ONE_SHOT = {"bootstrap", "airflow-init", "elasticsearch-setup"}
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|FERNET|ENCRYPTION|API_KEY|WEBHOOK_URL")
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def test_every_part_of_the_production_stack_is_a_service(services: dict[str, Any]) -> None:
    assert set(services) == LONG_RUNNING | ONE_SHOT


def test_images_are_pinned_to_versions(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image!r} is not pinned"
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("FROM ") or "COPY --from=" in line:
            reference = (
                line.split()[1] if line.startswith("FROM ") else line.split("=")[1].split()[0]
            )
            assert re.search(r":\d", reference), f"Dockerfile base {reference!r} is not pinned"


def test_elastic_products_run_the_version_the_local_stack_runs(services: dict[str, Any]) -> None:
    # The field's default, not the environment's: what `newswire stack up` starts unless told.
    local = StackSettings.model_fields["elasticsearch_version"].default
    versions = {
        services[name]["image"].rsplit(":", 1)[1]
        for name in ("elasticsearch", "kibana", "elasticsearch-setup")
    }
    assert versions == {local}


def test_long_running_services_have_healthchecks_and_restart(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
        assert services[name].get("restart") == "unless-stopped", name
    for name in ONE_SHOT:
        assert services[name].get("restart") == "no", name


def test_dependencies_wait_for_health_and_one_shot_jobs(services: dict[str, Any]) -> None:
    def conditions(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert conditions("bootstrap") == {
        "kafka": "service_healthy",
        "elasticsearch": "service_healthy",
        "kibana": "service_healthy",
    }
    for consumer in ("indexer", "alerter"):
        assert conditions(consumer) == {"bootstrap": "service_completed_successfully"}
    for component in (
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    ):
        assert conditions(component) == {
            "postgres": "service_healthy",
            "airflow-init": "service_completed_successfully",
            "bootstrap": "service_completed_successfully",
        }
    assert conditions("kibana") == {"elasticsearch-setup": "service_completed_successfully"}


def test_state_lives_in_named_volumes(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name in ("kafka", "elasticsearch", "kibana", "postgres", "airflow-scheduler"):
        mounts = [m.split(":")[0] for m in services[name]["volumes"]]
        assert any(m in declared for m in mounts), f"{name} keeps no state in a named volume"
    assert "./dags:/app/dags:ro" in services["airflow-dag-processor"]["volumes"]
    # Kafka must write its log into the mounted volume, not the image's /tmp default.
    kafka_mounts = [m.split(":")[1] for m in services["kafka"]["volumes"]]
    assert services["kafka"]["environment"]["KAFKA_LOG_DIRS"] in kafka_mounts


def test_no_secret_is_written_in_the_file(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_WORDS.search(key):
                assert isinstance(value, str) and VARIABLE.fullmatch(value.strip()), (
                    f"{name}: {key} must come from .env, not be written in the file"
                )


def test_every_variable_is_documented_in_env_example() -> None:
    used = set(VARIABLE.findall(COMPOSE.read_text()))
    documented = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert used <= documented, f"missing from .env.example: {sorted(used - documented)}"


def test_commands_are_real_newswire_subcommands(services: dict[str, Any]) -> None:
    from typer.main import get_command

    from newswire.cli import app

    cli = get_command(app)
    for name in ("bootstrap", "indexer", "alerter", "airflow-init"):
        command = services[name]["command"]
        assert command[0] == "newswire"
        node: Any = cli
        for word in [w for w in command[1:] if not w.startswith("-")][:2]:
            if not hasattr(node, "commands"):  # a leaf command: the rest are values
                break
            assert word in node.commands, f"{name}: `newswire ... {word}` does not exist"
            node = node.commands[word]
        options = {opt for param in node.params for opt in getattr(param, "opts", [])}
        for word in command[1:]:
            if word.startswith("--"):
                assert word in options, f"{name}: option {word} does not exist"
