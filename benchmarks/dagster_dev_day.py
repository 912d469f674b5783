"""Benchmark: one big day on the embedded default, from the drop landing to its alerts, as `dagster dev` runs it.

A model of the benchmark's own (the tests' ``subscription_churn``, rolling 3-day baseline) on a fresh
``DAGSTER_HOME`` with this checkout's ``dagster.yaml`` (SQLite instance, DuckDB warehouse, local folders),
served the embedded way: ``dagster-daemon`` with the project's workspace (sensors, run queue, one process
per run), which is what ``dagster dev`` starts besides the web UI. Everything binds to 127.0.0.1.

1. Untimed: three small days land, the landing sensor runs them, the baseline sensor builds the baseline and
   re-runs the reports that waited for it.
2. Timed: a ``--rows`` day (default 1M, drifted) lands; the clock stops at the ``alerts`` materialization of
   that partition. The breakdown: the sensor noticing the drop, the queue, the run process starting (imports,
   loading the code location), then each step from its start event to its success.

    .venv/bin/python benchmarks/dagster_dev_day.py [--rows 1000000] [--target 60]
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
ALERTS = dg.AssetKey("alerts")
BASELINE = dg.AssetKey("drift_baseline")


def _land(landing: Path, day: dt.date, rows: int, seed: int, shift: float) -> None:
    frame = om.inference_frame(day, rows=rows, seed=seed, spend_shift=shift)
    path = landing / om.drop_key(day)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".landing-" + path.name)
    tmp.write_bytes(om.parquet_bytes(frame))
    os.replace(tmp, path)  # the sensor sees the whole file or nothing


def _wait(what: str, done, daemon: subprocess.Popen, log: Path, timeout: float) -> float:  # type: ignore[no-untyped-def]
    t0 = time.time()
    while not done():
        if daemon.poll() is not None:
            raise RuntimeError(f"dagster-daemon exited while waiting for {what} (see {log})")
        if time.time() - t0 > timeout:
            raise TimeoutError(f"{what}: not after {timeout:.0f} s (see {log})")
        time.sleep(0.5)
    return time.time()


def _quiet(instance: dg.DagsterInstance) -> bool:
    runs = instance.get_runs()
    return bool(runs) and all(r.is_finished for r in runs)


def _steps(instance: dg.DagsterInstance, run_id: str) -> tuple[float | None, list[tuple[str, float, float]]]:
    """The first step's start and each step's (key, start, seconds)."""
    started: dict[str, float] = {}
    out: list[tuple[str, float, float]] = []
    for record in instance.get_records_for_run(run_id, limit=100_000).records:
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.event_log_entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            begin = started[event.step_key]
            out.append((event.step_key, begin, record.event_log_entry.timestamp - begin))
    return (min(started.values()) if started else None), sorted(out, key=lambda s: s[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--setup-rows", type=int, default=5_000, help="rows of each untimed baseline day")
    parser.add_argument("--target", type=float, default=60.0, help="seconds, drop to alert")
    parser.add_argument("--keep", action="store_true", help="keep the temporary DAGSTER_HOME (its path is printed)")
    args = parser.parse_args()
    today = dt.datetime.now(dt.timezone.utc).date()
    setup_days = [today - dt.timedelta(days=4 - i) for i in range(3)]  # the baseline window, just before
    big_day = today - dt.timedelta(days=1)
    print(f"{args.rows:,}-row day of {om.MODEL} on the embedded default (dagster-daemon + workspace, DuckDB, "
          f"SQLite); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    home = Path(tempfile.mkdtemp(prefix="infranaut-devday-"))
    (home / "data").mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("INFRANAUT_", "DAGSTER_", "SLACK_"))},
        "DAGSTER_HOME": str(home), "INFRANAUT_DATA_DIR": str(home / "data"),
        "INFRANAUT_REGISTRY": str(om.write_registry(home)), "INFRANAUT_EXECUTOR": "in_process",
        "INFRANAUT_LANDING_INTERVAL_S": "5", "INFRANAUT_BASELINE_INTERVAL_S": "5",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }  # fmt: skip
    landing = home / "data" / "landing"
    for i, day in enumerate(setup_days):
        _land(landing, day, args.setup_rows, seed=i, shift=0.0)
    log = home / "daemon.log"
    ok = False
    with open(log, "wb") as out:
        t_daemon = time.time()
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE)], env=env, cwd=ROOT,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with temporary_env(env):
            instance = dg.DagsterInstance.get()

            def baseline_done() -> bool:
                built = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=BASELINE), limit=1).records
                return bool(built) and _quiet(instance)

            ready = _wait("the baseline", baseline_done, daemon, log, 1800)
            print(f"  setup (untimed): {len(instance.get_runs())} runs, baseline built, {ready - t_daemon:.0f} s "
                  "after the daemon started", flush=True)
            time.sleep(6)  # a sensor tick later: the reports that waited for the baseline may just be queued
            _wait("the setup runs", lambda: _quiet(instance), daemon, log, 1800)

            key = str(dg.MultiPartitionKey({"date": big_day.isoformat(), "model": om.MODEL}))
            t_gen = time.time()
            _land(landing, big_day, args.rows, seed=9, shift=0.8)
            t_drop = time.time()
            print(f"  the {args.rows:,}-row drop written ({t_drop - t_gen:.1f} s, not timed)", flush=True)

            def alerted() -> bool:
                return bool(instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=ALERTS, asset_partitions=[key]), limit=1).records)

            t_alert_seen = _wait("the alerts of the big day", alerted, daemon, log, 3600)
            alert = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=ALERTS, asset_partitions=[key]), limit=1).records[0]
            t_alert = alert.timestamp
            run = instance.get_run_record_by_id(alert.run_id)
            assert run is not None
            created = run.create_timestamp.timestamp()
            first_step, steps = _steps(instance, alert.run_id)
            total = t_alert - t_drop
            print(f"  drop -> alerts materialization: {total:.1f} s (target < {args.target:.0f} s: "
                  f"{'met' if total < args.target else 'NOT met'}); run {alert.run_id[:8]} "
                  f"({run.dagster_run.job_name}), seen by this script {t_alert_seen - t_alert:.1f} s later")
            print(f"    sensor: drop -> run created          {created - t_drop:6.1f} s")
            if run.start_time:
                print(f"    queue: created -> run started         {run.start_time - created:6.1f} s")
                if first_step:
                    print(f"    launch: run started -> first step     {first_step - run.start_time:6.1f} s")
            for step, begin, seconds in steps:
                print(f"    step {step:<34} {seconds:6.1f} s  (started at +{begin - t_drop:.1f} s)")
            ok = total < args.target
            instance.dispose()
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(60)
        if args.keep:
            print(f"  kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
