"""A real PostgreSQL restart between runs of one long-lived process (the production profile's promise
"PostgreSQL restarted between runs: the next run works").

test_faults.py can only simulate a restart (pg_terminate_backend) because the shared server serves tests
running in parallel. Here the Dagster instance storage (deploy/production/dagster.yaml, unchanged) and the
warehouse both live on a private server (tests/production/pg_cluster.py) that is restarted for real with
``pg_ctl restart -m fast``. One DagsterInstance object lives through all of it, as in a daemon or a code server:

1. run 1 materializes ingestion -> validation -> dbt aggregation -> features for one (date, model);
2. restart while the process is idle; run 2, the same partition again, is the first thing to touch the new
   server: it succeeds, its events are in the instance storage and the warehouse holds the same rows,
   without duplicates;
3. restart again while idle; the instance still answers (get_runs, run records, event records) on the new
   server, and every run and event is still there.

A second test covers the webserver's variant of the instance, which keeps a pooled connection.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import psycopg2
import pytest

from tests.s3_server import S3Server, s3_server  # noqa: F401  (fixture)

from .conftest import MODEL, ROWS, START, partition
from .pg_cluster import PgCluster, pg_cluster, require_pg_binaries
from .runs import materialized_assets
from .services import PRODUCTION_YAML, patched_env

# Same group as the other production tests: one xdist process runs them one after the other (dbt and the
# runs are CPU-heavy; the private server does not conflict with anything, but the suite's timing assumes it).
pytestmark = pytest.mark.xdist_group("production")

DAY = START
# Step-by-step DEBUG lines would bury the test's own output under -s; the events are stored all the same.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@pytest.fixture
def private_pg() -> Iterator[PgCluster]:
    require_pg_binaries()
    with pg_cluster() as pg:
        yield pg


def _production_env(pg: PgCluster, s3: S3Server, tmp_path: Path, warehouse_url: str | None) -> dict[str, str | None]:
    """The production profile's environment (as tests/production/conftest.py builds it) with the instance
    storage in the private server's ``dagster`` database and the given warehouse; S3 is moto's."""
    bucket = s3.create_bucket()
    s3.client().create_bucket(Bucket=f"{bucket.name}-logs")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PRODUCTION_YAML, home / "dagster.yaml")  # the production file itself, unchanged
    return {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": pg.host,
        "DAGSTER_PG_PORT": str(pg.port),
        "DAGSTER_PG_USER": pg.user,
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": "dagster",
        "INFRANAUT_MAX_CONCURRENT_RUNS": "4",
        "INFRANAUT_COMPUTE_LOG_BUCKET": f"{bucket.name}-logs",
        "INFRANAUT_LANDING_URL": f"s3://{bucket.name}/landing",
        "INFRANAUT_LAKE_URL": f"s3://{bucket.name}/lake",
        "INFRANAUT_WAREHOUSE_URL": warehouse_url,
        # In process: the restart is about one process's connections; celery workers are test_faults.py's.
        "INFRANAUT_EXECUTOR": "in_process",
        "INFRANAUT_DATA_DIR": str(tmp_path / "data"),
        "SLACK_BOT_TOKEN": None,
        "SLACK_WEBHOOK_URL": None,
    }


def _warehouse_state(warehouse_url: str, lake_url: str, day: dt.date) -> dict[str, int]:
    """Row counts of the partition's warehouse slices, after checking they agree with each other and with
    the lake (so a duplicated or half-written slice fails here, not only a changed count)."""
    from infranaut_pipelines.resources.io_manager import lake_key
    from infranaut_pipelines.storage import open_store
    from infranaut_pipelines.warehouse import Warehouse

    wh = Warehouse(warehouse_url)
    where = {"m": MODEL, "d": day}

    def rows(table: str) -> pl.DataFrame:
        return wh.query(f"SELECT * FROM {table} WHERE model_id = :m AND partition_date = :d", where)

    with open_store(lake_url).local_copy(lake_key("validated_inferences", partition(day))) as path:
        validated = pl.read_parquet(path).height
    inferences, labels = rows("inference_log"), rows("label_log")
    hourly, daily = rows("hourly_model_metrics"), rows("daily_model_metrics")
    assert validated > 0
    assert inferences.height == validated, "inference_log holds exactly the validated rows"
    assert inferences.get_column("prediction_id").is_duplicated().sum() == 0
    assert labels.height > 0 and labels.get_column("prediction_id").is_duplicated().sum() == 0
    assert daily.height == 1
    assert daily.get_column("request_count").item() == validated
    hour_col = next(c for c in hourly.columns if "hour" in c)
    assert hourly.get_column(hour_col).is_duplicated().sum() == 0
    assert hourly.get_column("request_count").sum() == validated
    return {"inference_log": inferences.height, "label_log": labels.height, "hourly_model_metrics": hourly.height,
            "daily_model_metrics": daily.height}


def _stored_runs(instance_url: str) -> dict[str, tuple[str, int]]:
    """run_id -> (status, number of events), read from the private server itself: proves the instance
    storage is that server, not a fallback."""
    conn = psycopg2.connect(instance_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT r.run_id, r.status, (SELECT COUNT(*) FROM event_logs e WHERE e.run_id = r.run_id) FROM runs r"
            )
            return {run_id: (status, int(n)) for run_id, status, n in cur.fetchall()}
    finally:
        conn.close()


def test_real_postgres_restart_between_runs(private_pg: PgCluster, s3_server: S3Server, tmp_path: Path) -> None:  # noqa: F811
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    from infranaut_pipelines.definitions import build_definitions
    from infranaut_pipelines.demo import write_demo_drops
    from infranaut_pipelines.demo.pipeline import REPORT_ASSETS
    from infranaut_pipelines.jobs import INFERENCE_PIPELINE
    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME
    from infranaut_pipelines.registry import load_registry
    from infranaut_pipelines.storage import open_store

    pg = private_pg
    instance_url = pg.create_database("dagster")
    warehouse_url = pg.create_database("warehouse")
    env = _production_env(pg, s3_server, tmp_path, warehouse_url)
    lake_url, landing_url = str(env["INFRANAUT_LAKE_URL"]), str(env["INFRANAUT_LANDING_URL"])
    timings: dict[str, float] = {}
    with patched_env(env):
        # Two days: the demo delivers a day's labels with the next day's drop.
        write_demo_drops(open_store(landing_url), load_registry(), start=START, days=2,
                         rows_per_day=ROWS, models=[MODEL])
        defs = build_definitions()
        job = defs.resolve_job_def("inference_pipeline_job")
        # Ingestion, validation, the dbt aggregation and features: Dagster storage and the warehouse are both
        # written; the drift report would need a baseline first and adds nothing about connections.
        selection = list((INFERENCE_PIPELINE - REPORT_ASSETS).resolve(defs.resolve_asset_graph()))
        expected = {k.to_user_string() for k in selection}

        def run(label: str) -> dg.ExecuteInProcessResult:
            t0 = time.monotonic()
            result = job.execute_in_process(
                instance=instance, partition_key=str(partition(DAY)), asset_selection=selection, run_config=QUIET
            )
            timings[label] = time.monotonic() - t0
            assert result.success
            return result

        instance = dg.DagsterInstance.get()
        try:
            assert isinstance(instance.run_storage, PostgresRunStorage)
            assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
            assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
            instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])

            # 1. a run on the freshly started server
            run1 = run("run 1")
            after_run1 = _warehouse_state(warehouse_url, lake_url, DAY)

            # 2. a real restart while the process is idle; the next run is the first to use the new server
            pid1 = pg.postmaster_pid()
            t0 = time.monotonic()
            pid2 = pg.restart()
            timings["restart 1"] = time.monotonic() - t0
            assert pid2 != pid1, "pg_ctl restart must start a new postmaster"
            run2 = run("run 2 (same partition)")
            assert materialized_assets(instance, run2.run_id) == expected
            assert _warehouse_state(warehouse_url, lake_url, DAY) == after_run1, "a re-run replaces, never adds"

            # 3. another restart while idle, observed by the same instance object
            pid3 = pg.restart()
            assert pid3 not in (pid1, pid2)
            runs = {r.run_id: r.status for r in instance.get_runs()}
            assert runs == {run1.run_id: dg.DagsterRunStatus.SUCCESS, run2.run_id: dg.DagsterRunStatus.SUCCESS}
            assert instance.get_run_record_by_id(run2.run_id) is not None
            assert materialized_assets(instance, run1.run_id) == expected  # written before both restarts
            latest = instance.get_latest_materialization_event(dg.AssetKey("daily_model_metrics"))
            assert latest is not None and latest.run_id == run2.run_id
        finally:
            instance.dispose()

    stored = _stored_runs(instance_url)
    assert set(stored) == {run1.run_id, run2.run_id}
    assert all(status == "SUCCESS" and n_events > 0 for status, n_events in stored.values()), stored
    print("\n" + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()) + f"; postmaster pids {pid1} -> {pid2} -> {pid3}")


def test_webserver_instance_recovers_after_restart(private_pg: PgCluster, s3_server: S3Server, tmp_path: Path) -> None:  # noqa: F811
    """dagster-webserver is the other long-lived holder of an instance, and it differs: it keeps one pooled
    storage connection (``optimize_for_webserver``) without SQLAlchemy's pre-ping (dagster-io/dagster#33879),
    so the first request after a restart can fail on the dead connection. SQLAlchemy then discards the pool:
    the next request must work, i.e. the UI heals without being restarted itself."""
    from dagster_webserver.cli import DEFAULT_DB_STATEMENT_TIMEOUT, DEFAULT_POOL_MAX_OVERFLOW, DEFAULT_POOL_RECYCLE
    from sqlalchemy.exc import OperationalError

    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME

    pg = private_pg
    pg.create_database("dagster")
    with patched_env(_production_env(pg, s3_server, tmp_path, warehouse_url=None)):  # no runs: no warehouse
        instance = dg.DagsterInstance.get()
        try:
            instance.optimize_for_webserver(DEFAULT_DB_STATEMENT_TIMEOUT, DEFAULT_POOL_RECYCLE, DEFAULT_POOL_MAX_OVERFLOW)
            instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])  # the pool now holds a connection
            pid = pg.postmaster_pid()
            assert pg.restart() != pid
            failures: list[str] = []
            for _ in range(2):
                try:
                    partitions = instance.get_dynamic_partitions(MODEL_PARTITIONS_NAME)
                    break
                except OperationalError as exc:
                    failures.append(str(exc).splitlines()[0])
            else:
                pytest.fail(f"the instance did not recover after the restart: {failures}")
            assert partitions == [MODEL]
            assert len(failures) <= 1, failures
            assert instance.get_runs() == []  # run storage too (its own engine, its own pool)
        finally:
            instance.dispose()
    print(f"\nwebserver-mode instance after a restart: {len(failures)} failed request(s) {failures}")
