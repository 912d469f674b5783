"""Issue 15: the built wheel works from any folder on a read-only install.

Build the wheel, install it into a fresh venv, make the installed package read-only, then from an empty
folder outside the checkout load the definitions and run a two-day demo (one day has no labels yet, so no
baseline could be built: the demo needs two). Nothing may be written into the installed package; dbt's
state goes under DAGSTER_HOME and the demo's data under the working folder.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from tests.shipping.conftest import Installed
from tests.shipping.wheel import ROOT, read_only_runner, run, snapshot

pytestmark = [pytest.mark.shipping, pytest.mark.slow, pytest.mark.xdist_group("shipping")]

PACKAGED = "infranaut_pipelines/dbt_project"


def test_wheel_contains_the_dbt_project_and_a_prepared_manifest(installed_wheel: Installed) -> None:
    names = set(zipfile.ZipFile(installed_wheel.wheel).namelist())
    sources = {str(p.relative_to(ROOT / "dbt_project")) for p in (ROOT / "dbt_project").rglob("*")
               if p.is_file() and p.suffix in (".sql", ".yml") and "target" not in p.parts and "logs" not in p.parts}
    assert sources and {f"{PACKAGED}/{s}" for s in sources} <= names, sorted(names)
    assert f"{PACKAGED}/target/manifest.json" in names
    # Only the manifest of target/ ships; no warehouse file or log of the build machine.
    assert [n for n in names if n.startswith(f"{PACKAGED}/target/")] == [f"{PACKAGED}/target/manifest.json"]
    assert not [n for n in names if n.endswith((".duckdb", ".log", ".msgpack"))]
    manifest = json.loads(zipfile.ZipFile(installed_wheel.wheel).read(f"{PACKAGED}/target/manifest.json"))
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert models == {Path(s).stem for s in sources if s.startswith("models/") and s.endswith(".sql")}


def _env(tmp: Path, venv: Path) -> dict[str, str]:
    home = tmp / "dagster_home"
    home.mkdir()
    # No INFRANAUT_* variable: the embedded defaults must work from an empty folder. PATH has the new venv's
    # bin first; the borrowed dependencies' scripts (dbt) come after it.
    path = os.pathsep.join([str(venv / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]])
    return {"PATH": path, "HOME": str(tmp), "DAGSTER_HOME": str(home), "LANG": "C.UTF-8"}


def test_installed_wheel_loads_and_runs_the_demo_read_only(installed_wheel: Installed, tmp_path: Path) -> None:
    venv, package = installed_wheel.venv, installed_wheel.package
    python = str(venv / "bin" / "python")
    env = _env(tmp_path, venv)
    cwd = tmp_path / "empty"
    cwd.mkdir()
    ro = read_only_runner(package)
    before = snapshot(package)

    where = run([*ro, python, "-c", "import infranaut_pipelines; print(infranaut_pipelines.__file__)"], cwd=cwd, env=env)
    assert where.strip() == str(package / "__init__.py"), where

    out = run([*ro, python, "-m", "dagster", "definitions", "validate", "-m", "infranaut_pipelines.definitions"],
              cwd=cwd, env=env)
    assert "All code locations passed validation" in out, out

    out = run([*ro, str(venv / "bin" / "infranaut"), "demo", "--days", "1", "--rows-per-day", "300"],
              cwd=cwd, env=env, timeout=400)
    assert ", 0 failed" in out, out[-4000:]
    # The demo's data defaults to ./data of the working folder; dbt's state to $DAGSTER_HOME/dbt.
    assert list((cwd / "data" / "lake" / "reports").glob("*/2026-11-01/drift_report.html")), out[-2000:]
    (state,) = (Path(env["DAGSTER_HOME"]) / "dbt").glob("dbt_project-*")
    assert (state / "target" / "manifest.json").exists() and (state / "target" / "partial_parse.msgpack").exists()

    assert snapshot(package) == before, "something wrote into the installed package"
    if not ro:
        warnings.warn("no read-only mount here (unshare unavailable): only the before/after snapshot was checked", stacklevel=2)
