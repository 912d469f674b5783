"""Loading the code location must not import the heavy libraries that only some steps use.

Every process that loads the code location (code server, each run worker, each step process) pays for
what ``infranaut_pipelines.definitions`` imports; Great Expectations and scipy cost seconds and are only
needed by the validation and drift steps, fpdf2 only by the steps that write PDFs. Checked in a fresh interpreter: this test process has long
imported both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("great_expectations", "scipy.stats", "scipy", "evidently", "pandas", "fpdf")

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


def test_custom_rules_checked_once_are_not_checked_again_by_the_next_load(tmp_path: Path) -> None:
    """The packaged registry has custom rules: the first load checks them (and imports GX), a second process
    loading the same registry finds the verdict and leaves GX unloaded."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "INFRANAUT_DATA_DIR": str(tmp_path / "data")}
    env.pop("INFRANAUT_REGISTRY", None)
    env.pop("INFRANAUT_DBT_STATE_DIR", None)

    def loaded() -> list[str]:
        out = subprocess.run([sys.executable, "-c", BUILD_PROBE], env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert "great_expectations" in loaded()  # checked: nothing remembered yet
    assert "great_expectations" not in loaded()


def test_a_remembered_verdict_does_not_hide_an_edited_rule(tmp_path: Path) -> None:
    import pytest

    from infranaut_pipelines.registry.loader import default_registry_path, parse_registry
    from infranaut_pipelines.validation import check_rules

    packaged = default_registry_path().read_text()
    check_rules(parse_registry(packaged), remember_in=tmp_path)
    assert len(list(tmp_path.iterdir())) == 1  # remembered
    broken = packaged.replace("max_value: 0.6}", "max_value: 0.6, no_such_kwarg: 1}", 1)
    assert broken != packaged, "the edit must change a custom rule"
    with pytest.raises(ValueError, match="no_such_kwarg"):
        check_rules(parse_registry(broken), remember_in=tmp_path)
    assert len(list(tmp_path.iterdir())) == 1  # a failed check is not remembered
    unwritable = tmp_path / "file"
    unwritable.write_text("")
    check_rules(parse_registry(packaged), remember_in=unwritable / "sub")  # cannot remember: still checks, no error
