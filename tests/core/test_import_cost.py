"""Loading the code location must not import the heavy libraries that only some steps use.

Every process that loads the code location (code server, each run worker, each step process) pays for
what ``infranaut_pipelines.definitions`` imports; Great Expectations and scipy cost seconds and are only
needed by the validation and drift steps. Checked in a fresh interpreter: this test process has long
imported both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("great_expectations", "scipy.stats", "scipy", "evidently", "pandas")

PROBE = f"""
import json, sys
import infranaut_pipelines.definitions
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def test_importing_the_definitions_leaves_the_heavy_libraries_unloaded(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "INFRANAUT_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported when the definitions module loads: {loaded}"


BUILD_PROBE = f"""
import json, sys
from infranaut_pipelines.definitions import build_definitions
build_definitions()
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def test_loading_a_registry_without_custom_rules_leaves_great_expectations_unloaded(tmp_path: Path) -> None:
    from tests.support.own_model import write_registry

    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "INFRANAUT_DATA_DIR": str(tmp_path / "data"),
           "INFRANAUT_REGISTRY": str(write_registry(tmp_path))}
    out = subprocess.run([sys.executable, "-c", BUILD_PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "great_expectations" not in loaded, f"imported when the definitions load: {loaded}"
