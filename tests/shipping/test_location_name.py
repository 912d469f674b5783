"""One code location name everywhere (issue 13): `-w workspace.yaml`, `dagster dev`/`dg dev` (pyproject.toml)
and the Helm deployment must agree, or `dagster job launch --location ...` names a location that does not exist."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCATION = "infranaut"


def test_every_config_names_the_same_location() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    values = yaml.safe_load((ROOT / "deploy" / "k8s" / "values.yaml").read_text())
    assert pyproject["tool"]["dagster"]["code_location_name"] == LOCATION
    assert pyproject["tool"]["dg"]["project"]["code_location_name"] == LOCATION
    assert [e["python_module"]["location_name"] for e in workspace["load_from"]] == [LOCATION]
    # The chart names a user-code location after its deployment.
    assert [d["name"] for d in values["dagster-user-deployments"]["deployments"]] == [LOCATION]


def test_dagster_job_list_finds_the_location_through_workspace_yaml(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    out = subprocess.run(
        [str(BIN / "dagster"), "job", "list", "-w", "workspace.yaml", "--location", LOCATION],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    assert "inference_pipeline_job" in out.stdout, out.stdout


def test_dg_check_defs_loads_the_project(tmp_path: Path) -> None:
    """[tool.dg] is enough for `dg check defs` (and so `dg list defs` / `dg dev`) from the checkout."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run([str(BIN / "dg"), "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "All definitions loaded successfully" in out.stdout + out.stderr, out.stderr[-3000:]
