"""Lint docker-compose.yaml (no container daemon here to run it): every service of ours uses the image the
Dockerfile builds and deploy/k8s/values.yaml names, runs a real entry point with real subcommands, sets only
environment variables the project (or boto3/Dagster) reads, and refers only to files that exist."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
OURS = {name: s for name, s in COMPOSE["services"].items() if "build" in s}
# Read by libraries rather than by project code: Dagster (DAGSTER_HOME) and boto3 (AWS_*).
THIRD_PARTY_ENV = {"DAGSTER_HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"}


def _env_names_the_project_reads() -> set[str]:
    names: set[str] = set()
    sources = [*(ROOT / "infranaut_pipelines").rglob("*.py"), *(ROOT / "deploy" / "production").glob("*.yaml"),
               ROOT / "dbt_project" / "profiles.yml"]
    for path in sources:
        names |= set(re.findall(r"\b((?:INFRANAUT|DAGSTER_PG|SLACK)_[A-Z_]+)\b", path.read_text()))
    return names | THIRD_PARTY_ENV


def _image_files() -> dict[str, Path]:
    """Paths inside the image -> the repository file the Dockerfile copies there (final stage, plain COPY)."""
    final = (ROOT / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]
    files: dict[str, Path] = {}
    for line in final.splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not parts[1].startswith("--"):
            *sources, dest = parts[1:]
            for source in sources:
                target = dest + Path(source).name if dest.endswith("/") else dest
                files[target] = ROOT / source
    return files


def test_the_production_profile_services_are_there() -> None:
    assert {"postgres", "rabbitmq", "code", "webserver", "daemon"} <= set(COMPOSE["services"])
    assert len([n for n, s in OURS.items() if s["command"][0] == "dagster-celery"]) == 2


def test_compose_k8s_and_dockerfile_agree_on_the_image_and_the_code_location() -> None:
    values = yaml.safe_load((ROOT / "deploy" / "k8s" / "values.yaml").read_text())
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    k8s_image = f"{deployment['image']['repository']}:{deployment['image']['tag']}"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"docker build -t {k8s_image} ." in dockerfile
    for name, service in OURS.items():
        assert service["image"] == f"${{INFRANAUT_IMAGE:-{k8s_image}}}", name
        assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name
    code = OURS["code"]["command"]
    assert code[code.index("-m") + 1] == deployment["dagsterApiGrpcArgs"][1]
    assert code[code.index("--location-name") + 1] == deployment["name"]
    workspace = yaml.safe_load((ROOT / "deploy" / "compose" / "workspace.yaml").read_text())
    (grpc,) = [e["grpc_server"] for e in workspace["load_from"]]
    assert (grpc["host"], str(grpc["port"]), grpc["location_name"]) == ("code", code[code.index("-p") + 1], deployment["name"])


@pytest.mark.parametrize("service", sorted(OURS))
def test_commands_are_real_entry_points(service: str) -> None:
    command = OURS[service]["command"]
    scripts = {ep.name for ep in importlib.metadata.entry_points(group="console_scripts")}
    assert command[0] in scripts, f"{service}: {command[0]} is not an installed console script"
    subcommands = []
    for arg in command[1:]:
        if arg.startswith("-"):
            break
        subcommands.append(arg)
    help_out = subprocess.run([str(BIN / command[0]), *subcommands, "--help"], capture_output=True, text=True, timeout=120)
    assert help_out.returncode == 0, f"{service}: {' '.join(command[:1] + subcommands)} --help failed: {help_out.stderr[-1500:]}"
    for flag in (a for a in command if a.startswith("-") and a != "--"):
        if a_flag_is_passed_to_celery(command, flag):
            continue
        assert flag.split("=")[0] in help_out.stdout, f"{service}: {flag} is not an option of {command[0]} {' '.join(subcommands)}"
    if "-m" in command:
        assert importlib.util.find_spec(command[command.index("-m") + 1]), service


def a_flag_is_passed_to_celery(command: list[str], flag: str) -> bool:
    return "--" in command and command.index(flag) > command.index("--")


@pytest.mark.parametrize("service", sorted(OURS))
def test_environment_holds_only_variables_the_project_reads(service: str) -> None:
    known = _env_names_the_project_reads()
    unknown = set(OURS[service]["environment"]) - known
    assert not unknown, f"{service}: nothing reads {sorted(unknown)}"


def test_referenced_files_exist() -> None:
    image_files = _image_files()
    for source in image_files.values():
        assert source.exists(), f"Dockerfile copies {source.relative_to(ROOT)}, which does not exist"
    for name, service in COMPOSE["services"].items():
        for arg in service.get("command", []):
            if arg.startswith("/opt/dagster/"):
                assert arg in image_files, f"{name}: {arg} is not copied into the image by the Dockerfile"
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if host.startswith("."):
                assert (ROOT / host).exists(), f"{name}: {host} does not exist"


def test_every_compose_variable_is_documented() -> None:
    used = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yaml").read_text()))
    example = set(re.findall(r"^([A-Z_]+)=", (ROOT / "deploy" / "compose" / "example.env").read_text(), re.M))
    docs = (ROOT / "docs" / "deployment.md").read_text()
    assert used <= example, sorted(used - example)
    assert not [v for v in used if f"`{v}`" not in docs], "docs/deployment.md misses some compose variables"
