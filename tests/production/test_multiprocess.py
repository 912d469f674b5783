"""INFRANAUT_EXECUTOR=multiprocess: steps of one partition in separate processes forked from a forkserver that
has preloaded the project (infranaut_pipelines/executors.py), writing the PostgreSQL warehouse concurrently
(the inference and label branches run side by side).

The forkserver is started once per run process and keeps the environment it started with; that is what a run
worker launched by the daemon has (a fresh process per run), and this is the only multiprocess run in its
pytest process.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl

from infranaut_pipelines.environment import temporary_env

from .runs import materialized_assets, partition_tags, recon_job

MODEL = "fraud_detector"
DAY = dt.date(2026, 11, 1)
ASSETS = ["raw_inferences", "raw_labels", "validated_inferences", "quarantined_inferences", "validated_labels",
          "quarantined_labels"]


def test_partition_steps_run_in_forked_processes(pg_url: str, tmp_path: Path) -> None:
    from infranaut_pipelines.demo import write_demo_drops
    from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME
    from infranaut_pipelines.registry import load_registry
    from infranaut_pipelines.resources.io_manager import lake_key
    from infranaut_pipelines.storage import open_store

    data = tmp_path / "data"
    env = {"INFRANAUT_EXECUTOR": "multiprocess", "INFRANAUT_MULTIPROCESS_START_METHOD": None, "INFRANAUT_DATA_DIR": str(data),
           "INFRANAUT_WAREHOUSE_URL": pg_url, "INFRANAUT_LANDING_URL": f"file://{data}/landing", "INFRANAUT_LAKE_URL": f"file://{data}/lake",
           "SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None}
    key = dg.MultiPartitionKey({"date": DAY.isoformat(), "model": MODEL})
    # Dagster keeps the last reconstructed job process-wide; one built by an earlier test in this worker would
    # carry that test's resource choices (resources read the environment when definitions are built).
    from dagster._core.definitions.reconstruct import ReconstructableJob

    ReconstructableJob.get_definition.cache_clear()
    ReconstructableJob.get_repository_definition.cache_clear()
    with temporary_env(env):
        write_demo_drops(open_store(f"file://{data}/landing"), load_registry(), start=DAY, days=2, rows_per_day=400, models=[MODEL])
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [MODEL])
            result = dg.execute_job(recon_job(), instance=instance, tags=partition_tags(key),
                                    asset_selection=[dg.AssetKey(a) for a in ASSETS])
            assert result.success
            assert materialized_assets(instance, result.run_id) == set(ASSETS)
            engine = [r.event_log_entry.dagster_event.message or "" for r in
                      instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records]
            assert any("multiprocess executor" in m for m in engine), engine
            # One child process per step (4 steps: two ingestions, two validations, each of the latter two
            # emitting a validated and a quarantined asset), each reporting that it started.
            started = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.STEP_WORKER_STARTED).records
            assert {r.event_log_entry.dagster_event.step_key for r in started} >= {"raw_inferences", "raw_labels"}
            assert len(started) >= 4

        lake = open_store(f"file://{data}/lake")
        counts = {}
        for asset in ("raw_inferences", "validated_inferences", "quarantined_inferences"):
            with lake.local_copy(lake_key(asset, key)) as path:
                counts[asset] = pl.read_parquet(path).height
        assert counts["raw_inferences"] == counts["validated_inferences"] + counts["quarantined_inferences"] > 0
        from infranaut_pipelines.warehouse import Warehouse

        n = Warehouse(pg_url).query("SELECT COUNT(*) AS n FROM inference_log WHERE model_id = :m AND partition_date = :d",
                                    {"m": MODEL, "d": DAY}).item()
        assert n == counts["validated_inferences"]
