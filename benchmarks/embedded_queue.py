"""Benchmark: the embedded default's run queue, drops of several models at once, old instance config vs new.

What a team sees under `dagster dev`: drops of ``--models`` models x ``--days`` days land, the landing sensor
launches one run per (day, model), the daemon dequeues them. Timed from the daemon's start to the end of
the last run, once with the ``dagster.yaml`` of ``--base`` (default: where this branch left main; there
``max_concurrent_runs: 1``) and once with this checkout's (several runs at once, one per model, the steps
that open the DuckDB warehouse taking turns in pool ``warehouse``), same code, same drops, one after the
other in one invocation. Afterwards the warehouse must hold exactly one daily row per (day, model) and no
run may have failed (a DuckDB lock conflict would fail a step).

    .venv/bin/python benchmarks/embedded_queue.py [--models 2] [--days 2] [--rows 2000] [--base <commit>]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from tests.support import own_model as om  # noqa: E402
from tests.support.env import temporary_env  # noqa: E402

BIN = Path(sys.executable).parent
WORKSPACE = ROOT / "workspace.yaml"


def _registry(models: list[str]) -> str:
    body = om.REGISTRY_YAML.split("models:\n", 1)[1]
    return "models:\n" + "".join(body.replace(f"id: {om.MODEL}", f"id: {m}") for m in models)


def _drops(landing: Path, models: list[str], days: list[dt.date], rows: int) -> None:
    for i, model in enumerate(models):
        for day in days:
            frame = om.inference_frame(day, rows=rows, seed=i, model=model)
            path = landing / om.drop_key(day, model=model)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(om.parquet_bytes(frame))


def _overlap(records: list) -> int:
    """Most runs in progress at once, from their start and end times."""
    edges = sorted([(r.start_time, 1) for r in records if r.start_time] + [(r.end_time, -1) for r in records if r.end_time])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def measure(label: str, yaml_text: str, models: list[str], days: list[dt.date], rows: int, tmp: Path) -> dict:
    home = tmp / label
    (home / "data").mkdir(parents=True)
    (home / "dagster.yaml").write_text(yaml_text)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("INFRANAUT_", "DAGSTER_", "SLACK_"))},
        "DAGSTER_HOME": str(home), "INFRANAUT_DATA_DIR": str(home / "data"),
        "INFRANAUT_REGISTRY": str(om.write_registry(home, _registry(models))),
        "INFRANAUT_LANDING_INTERVAL_S": "5", "INFRANAUT_EXECUTOR": "in_process",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }  # fmt: skip
    _drops(home / "data" / "landing", models, days, rows)
    expected = len(models) * len(days)
    with open(home / "daemon.log", "wb") as log:
        t0 = time.time()
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE)], env=env, cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with temporary_env(env):
            instance = dg.DagsterInstance.get()
            while True:
                if daemon.poll() is not None:
                    raise RuntimeError(f"{label}: dagster-daemon exited (see {home / 'daemon.log'})")
                runs = instance.get_runs()
                if len(runs) >= expected and all(r.is_finished for r in runs):
                    break
                if time.time() - t0 > 3600:
                    raise TimeoutError(f"{label}: {len(runs)} runs, not all finished after an hour")
                time.sleep(1)
            wall = time.time() - t0
            records = instance.get_run_records()
            instance.dispose()
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(60)
    from infranaut_pipelines.warehouse import Warehouse

    wh = Warehouse(f"duckdb:///{home / 'data' / 'warehouse.duckdb'}")
    daily = wh.query("select model_id, partition_date, count(*) as n from daily_model_metrics group by 1, 2")
    wh.engine.dispose()
    failed = [r.dagster_run.run_id[:8] for r in records if r.dagster_run.status != dg.DagsterRunStatus.SUCCESS]
    return {
        "wall": wall, "runs": len(records), "failed": failed, "most_at_once": _overlap(records),
        "daily_rows_ok": daily.height == expected and set(daily["n"].to_list()) == {1},
        "first_start": min(r.start_time for r in records if r.start_time) - t0,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=2)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--base", help="commit whose dagster.yaml is the old config (default: merge-base with main)")
    args = parser.parse_args()
    base = args.base or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True,
                                       text=True, check=True).stdout.strip()
    old_yaml = subprocess.run(["git", "-C", str(ROOT), "show", f"{base}:dagster.yaml"], capture_output=True, text=True,
                              check=True).stdout
    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=args.days - i) for i in range(args.days)]
    models = [f"churn_{chr(ord('a') + i)}" for i in range(args.models)]
    print(f"{args.models} models x {args.days} days = {args.models * args.days} runs of {args.rows:,} rows, sensor-launched; "
          f"old = dagster.yaml of {base[:8]}, new = this checkout's; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    tmp = Path(tempfile.mkdtemp(prefix="infranaut-queue-"))
    ok = True
    try:
        results = {}
        for label, text in (("old", old_yaml), ("new", (ROOT / "dagster.yaml").read_text())):
            r = results[label] = measure(label, text, models, days, args.rows, tmp)
            print(f"  {label}: {r['wall']:6.1f} s from daemon start to the last run's end (first run started at "
                  f"{r['first_start']:.0f} s); {r['runs']} runs, most at once {r['most_at_once']}, failed {r['failed'] or 'none'}, "
                  f"one daily row per partition: {r['daily_rows_ok']}", flush=True)
            ok = ok and not r["failed"] and r["daily_rows_ok"]
        print(f"old/new wall time {results['old']['wall'] / results['new']['wall']:.2f}x; load {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
