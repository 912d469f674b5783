"""INFRANAUT_PARTITIONS_START moves the first partition day (read when the code loads, so in a fresh process)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = (
    "from infranaut_pipelines.partitions import daily_partitions as d; "
    "keys = d.get_partition_keys(); print(keys[0], len(keys) > 0)"
)


def _probe(value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "INFRANAUT_PARTITIONS_START"}
    if value is not None:
        env["INFRANAUT_PARTITIONS_START"] = value
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)


def test_default_start_covers_history_before_the_demo() -> None:
    out = _probe(None)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "2025-01-01"


def test_start_moves_back_for_history() -> None:
    out = _probe("2026-09-15")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0] == "2026-09-15"


def test_bad_start_names_the_variable() -> None:
    out = _probe("15/09/2026")
    assert out.returncode != 0
    assert "INFRANAUT_PARTITIONS_START must be a date like 2026-11-01, got '15/09/2026'" in out.stderr
