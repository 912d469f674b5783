"""Benchmark: a backfill of 30 days x 2 models on the production profile, one run per partition (old) vs
ranges of one model's days per run (new), side by side; prints wall times, the ratio, and whether the run
queue's concurrency limits held.

Old: `dagster job backfill` (the CLI queues one run per partition, whatever the assets' BackfillPolicy).
New: the same partitions as an asset backfill launched like the UI's "Materialize" dialog does (GraphQL
`launchPartitionBackfill` on a `dagster-webserver`); the daemon splits it by the assets' BackfillPolicy into
one run per model and range of days. Same code, same stack, one after the other.

Everything is the real production path on one machine: `deploy/production/dagster.yaml` unchanged
(PostgreSQL instance storage, QueuedRunCoordinator with its tag limits, S3 compute logs), the landing zone
and the lake on S3 (moto's server), the warehouse on PostgreSQL (dbt's prod target), `dagster-daemon run`
dequeuing runs, and the backfill launched with the documented CLI (`dagster job backfill`). For Celery, two
workers are started with the documented `dagster-celery worker start` command on RabbitMQ.

Setup (not timed): demo drops for every day and model, then each model's baseline from its pinned window
(as the demo does). Timed: the backfill of `inference_pipeline_job` over every (date, model), from the CLI
call to the end of the last run. Both executors backfill the same partitions on the same stack, one after
the other; the second overwrites the first, so the row checks after it also prove re-runs leave no
duplicates.

    .venv/bin/python benchmarks/backfill.py [--days 30] [--modes old,new] [--executors multiprocess]
        [--rows 2000] [--max-concurrent-runs 4] [--workers 2]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and, for celery, RabbitMQ on 127.0.0.1:5672.
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
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # one implementation of moto, worker and database handling: the tests'

import dagster as dg  # noqa: E402

from benchmarks.backfill_report import Measured, concurrency_report, verify_partitions  # noqa: E402
from tests.e2e.webserver import run_webserver  # noqa: E402
from tests.production.services import (  # noqa: E402
    PRODUCTION_YAML,
    RABBIT_URL,
    create_database,
    db_url,
    delete_queue,
    drop_database,
    start_workers,
    stop_process_group,
    stop_workers,
)
from tests.s3_server import start_s3_server  # noqa: E402
from tests.support.env import temporary_env  # noqa: E402

PG_URL = os.environ.get("INFRANAUT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent
WORKSPACE = ROOT / "workspace.yaml"
JOB = "inference_pipeline_job"
# The landing sensor would launch its own runs for the drops this script writes, and the schedule might
# fire mid-benchmark: only the backfill's runs should be in the queue. The run-failure sensor stays on.
QUIET = [("sensor", "landing_sensor"), ("sensor", "freshness_sensor"), ("schedule", "nightly_drift_schedule")]


def _cli(args: list[str], env: dict[str, str], timeout: float = 600) -> str:
    out = subprocess.run([str(BIN / "dagster"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"dagster {' '.join(args[:3])} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def prepare(env: dict[str, str], days: list[dt.date], rows: int) -> None:
    """Drops for every day, then each model's baseline (in process, as `infranaut demo` builds it)."""
    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.demo import write_demo_drops
    from infranaut_pipelines.demo.pipeline import run_demo_pipeline
    from infranaut_pipelines.registry import load_registry
    from infranaut_pipelines.storage import open_store

    with temporary_env({**env, "INFRANAUT_EXECUTOR": "in_process"}):
        registry = load_registry()
        write_demo_drops(open_store(env["INFRANAUT_LANDING_URL"]), registry, start=days[0], days=len(days), rows_per_day=rows)
        window = [d for d in days if all(m.drift.baseline.start and m.drift.baseline.start <= d <= m.drift.baseline.end for m in registry.models)]  # type: ignore[operator]
        instance = dg.DagsterInstance.get()
        stats = run_demo_pipeline(build_definitions(), instance, registry, window or days[:3], say=lambda s: None)
        instance.dispose()
        if stats["failed"]:
            raise RuntimeError(f"setup: {stats['failed']} of {stats['runs']} baseline runs failed")


LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message }
  ... on InvalidSubsetError { message } ... on UnauthorizedError { message } } }
"""


def _asset_selection(env: dict[str, str]) -> list[dict]:
    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.jobs import INFERENCE_PIPELINE

    with temporary_env(env):
        keys = INFERENCE_PIPELINE.resolve(build_definitions().resolve_asset_graph())
    return [{"path": list(k.path)} for k in sorted(keys)]


def _launch_ranges(env: dict[str, str], keys: list[str], tmp: Path) -> str:
    """The UI's way: an asset backfill of the job's assets over the partitions, through the webserver."""
    selection = _asset_selection(env)
    with run_webserver(Path(env["DAGSTER_HOME"]), env, tmp / "webserver.log") as web:
        got = web.graphql(LAUNCH_BACKFILL, {"params": {"assetSelection": selection, "partitionNames": keys,
                                                       "fromFailure": False}})["launchPartitionBackfill"]
    if got["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"launchPartitionBackfill: {got}")
    return got["backfillId"]


def backfill(mode: str, executor: str, env: dict[str, str], keys: list[str], tmp: Path, n_workers: int) -> Measured:
    """Start the daemon (and workers), launch the backfill (CLI: old; ranges: new), wait for every run to end."""
    env = {**os.environ, **env, "INFRANAUT_EXECUTOR": executor, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for kind, name in QUIET:
        _cli([kind, "stop", name, "-w", str(WORKSPACE)], env)
    workers = start_workers(n_workers, env, tmp) if executor == "celery" else None
    with open(tmp / f"daemon-{executor}.log", "wb") as log:
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE)], env=env, cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        t0 = time.time()
        if mode == "old":
            out = _cli(["job", "backfill", "-w", str(WORKSPACE), "-j", JOB, "--partitions", ",".join(keys), "--noprompt"], env)
            backfill_id = out.rsplit("Launched backfill job `", 1)[1].split("`", 1)[0]
        else:
            backfill_id = _launch_ranges(env, keys, tmp)
        submitted = time.time() - t0
        with temporary_env(env):
            instance = dg.DagsterInstance.get()
            done = _wait(instance, backfill_id, daemon, timeout=3 * 3600)
            records = instance.get_run_records(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
            others = [r for r in instance.get_run_records(dg.RunsFilter(created_after=dt.datetime.fromtimestamp(t0, dt.timezone.utc)))
                      if r.dagster_run.tags.get("dagster/backfill") != backfill_id]
            instance.dispose()
        return Measured(f"{mode} ({executor})", backfill_id, t0, submitted, done, records, others)
    finally:
        stop_process_group(daemon, grace=30)
        if workers:
            stop_workers(workers)


def _wait(instance: dg.DagsterInstance, backfill_id: str, daemon: subprocess.Popen, timeout: float) -> float:
    """Until the backfill is done (the daemon has launched all it will) and none of its runs is queued or running
    (run retries add runs to it)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if daemon.poll() is not None:
            raise RuntimeError(f"dagster-daemon exited with {daemon.returncode}")
        bf = instance.get_backfill(backfill_id)
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        launched_all = bf is not None and bf.status.value not in ("REQUESTED", "CANCELING")
        if launched_all and runs and all(r.is_finished for r in runs):
            # The end of the last run, not this poll: the backfill daemon notices the end on its next tick.
            records = instance.get_run_records(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
            return max(float(r.end_time or time.time()) for r in records)
        time.sleep(2)
    raise TimeoutError(f"backfill {backfill_id} did not finish in {timeout:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--modes", default="old,new", help="old: one run per partition; new: ranges per model")
    ap.add_argument("--executors", default="multiprocess")
    ap.add_argument("--rows", type=int, default=2000, help="rows per (day, model) drop")
    ap.add_argument("--max-concurrent-runs", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2, help="celery workers")
    ap.add_argument("--keep", type=Path, help="keep logs here")
    args = ap.parse_args()
    executors = args.executors.split(",")

    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=args.days - i) for i in range(args.days)]  # the last days before today
    from infranaut_pipelines.registry import load_registry

    # Partitions must exist from the registry's pinned baseline windows on (the definitions refuse a window
    # before the first partition day), also when fewer days are backfilled than the windows go back.
    pinned = [m.drift.baseline.start for m in load_registry().models if m.drift.baseline.start]
    first_day = min([days[0], *pinned])
    tmp = Path(tempfile.mkdtemp(prefix="infranaut-backfill-"))
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(PRODUCTION_YAML, home / "dagster.yaml")
    dbs = [create_database(PG_URL, "bench_instance"), create_database(PG_URL, "bench_warehouse")]
    queue = f"infranaut-bench-{uuid.uuid4().hex[:8]}"
    try:
        with start_s3_server() as s3:
            bucket = f"bench-{uuid.uuid4().hex[:8]}"
            for b in (bucket, bucket + "-logs"):
                s3.client().create_bucket(Bucket=b)
            env = {
                "DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": "5432",
                "DAGSTER_PG_USER": "postgres", "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": dbs[0],
                "INFRANAUT_MAX_CONCURRENT_RUNS": str(args.max_concurrent_runs),
                "INFRANAUT_COMPUTE_LOG_BUCKET": bucket + "-logs",
                "INFRANAUT_PARTITIONS_START": first_day.isoformat(),
                "INFRANAUT_LANDING_URL": f"s3://{bucket}/landing", "INFRANAUT_LAKE_URL": f"s3://{bucket}/lake",
                "INFRANAUT_WAREHOUSE_URL": db_url(PG_URL, dbs[1]), "INFRANAUT_DATA_DIR": str(tmp / "data"),
                "INFRANAUT_CELERY_BROKER": RABBIT_URL, "INFRANAUT_CELERY_BACKEND": "rpc://", "INFRANAUT_CELERY_QUEUE": queue,
                **{k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                              "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION")},
            }
            for k in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
                os.environ.pop(k, None)  # a benchmark must not post to a real Slack
            t = time.time()
            prepare(env, days, args.rows)
            models = load_registry().model_ids
            keys = [f"{d.isoformat()}|{m}" for m in models for d in days]
            print(f"{args.days} days x {len(models)} models = {len(keys)} partitions, {args.rows} rows each; "
                  f"setup (drops + baselines) {time.time() - t:.0f} s; {os.cpu_count()} cores", flush=True)
            walls: dict[tuple[str, str], float] = {}
            for executor in executors:
                for mode in args.modes.split(","):
                    m = backfill(mode, executor, env, keys, tmp, args.workers)
                    walls[(mode, executor)] = m.done - m.t0
                    print(concurrency_report(m, args.max_concurrent_runs), flush=True)
                    with temporary_env(env):
                        print(verify_partitions(env["INFRANAUT_LAKE_URL"], env["INFRANAUT_WAREHOUSE_URL"], days, models), flush=True)
                if ("old", executor) in walls and ("new", executor) in walls:
                    old, new = walls[("old", executor)], walls[("new", executor)]
                    print(f"== {executor}: old (one run per partition) {old:.0f} s vs new (ranges) {new:.0f} s: "
                          f"{old / new:.1f}x; load average {os.getloadavg()}", flush=True)
    finally:
        if "celery" in executors:
            delete_queue(RABBIT_URL, queue)
        for db in dbs:
            drop_database(PG_URL, db)
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("data"))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
