"""`infranaut run MODEL DATE..DATE` from a shell, as the README shows it: a stranger's model, no sensors,
no labels. The days are processed, the first baseline is built when its window is complete, and every day
ends with a report."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infranaut_pipelines.monitoring.layout import report_html_key
from infranaut_pipelines.storage.object_store import open_store
from tests.support.own_model import MODEL, drop_key, inference_frame, parquet_bytes, write_registry

pytestmark = pytest.mark.slow


def test_infranaut_run_processes_days_builds_the_baseline_and_reports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    landing = open_store(str(data / "landing"))
    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=n) for n in (4, 3, 2)]
    for day in days:
        landing.write_bytes(drop_key(day), parquet_bytes(inference_frame(day, rows=1000)))
    (tmp_path / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRANAUT_", "SLACK_"))} | {
        "INFRANAUT_DATA_DIR": str(data), "INFRANAUT_REGISTRY": str(write_registry(tmp_path)),
        "DAGSTER_HOME": str(tmp_path / "home"),
    }
    out = subprocess.run([sys.executable, "-m", "infranaut_pipelines.cli", "run", MODEL, f"{days[0]}..{days[-1]}"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    # The three consecutive days run as one range (one run), then the waiting reports as one range.
    assert out.stdout.count("ok   pipeline") == 1 and "(3 days" in out.stdout and "FAIL" not in out.stdout
    assert f"building baseline (window {days[0]}..{days[-1]}, 3 of 3 days in)" in out.stdout
    assert out.stdout.count("ok   report") == 1 and out.stdout.count("report: file://") == 3
    lake = open_store(str(data / "lake"))
    assert all(lake.head(report_html_key(MODEL, d)) is not None for d in days)

    bad = subprocess.run([sys.executable, "-m", "infranaut_pipelines.cli", "run", "no_such_model", str(today)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert bad.returncode == 2 and "not in the registry" in bad.stdout and "Traceback" not in bad.stderr
