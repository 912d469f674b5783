"""Many partitions per run: one run over a model's range of days equals one run per day, partition by partition.

A model of the tests' own (tests/support/own_model.py, with labels and a pinned baseline here), on two
separate embedded deployments fed the same drops: one processes each day in its own run, the other runs the
same job once over the range (the run tags a BackfillPolicy backfill gives a range run). Then: every
per-partition output is equal, re-running the range duplicates nothing, and a day failing inside a range keeps
the other days' rows and fails visibly, so that running the range again completes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from infranaut_pipelines.partitions import RANGE_END_TAG, RANGE_START_TAG, partition_key
from tests.support.env import temporary_env
from tests.support.own_model import (
    MODEL,
    REGISTRY_YAML,
    drop_key,
    inference_frame,
    label_frame,
    label_key,
    parquet_bytes,
)

pytestmark = pytest.mark.slow

START = dt.date(2026, 10, 5)
DAYS = [START + dt.timedelta(days=i) for i in range(4)]
# The README's model with labels and a baseline pinned to the first two days, so that days 3-4 get real drift
# reports (the second one drifted), alert evaluations and performance metrics to compare.
REGISTRY = (REGISTRY_YAML.replace("baseline: {rolling_days: 3}", f'baseline: {{start: "{DAYS[0]}", end: "{DAYS[1]}"}}')
            .replace('    alerts: {slack_channel: "#growth-ml"}\n', ""))
# Warehouse tables written per (model, day), with the columns that identify one row.
TABLES = {
    "inference_log": ["prediction_id"],
    "label_log": ["prediction_id"],
    "daily_model_metrics": [],
    "hourly_model_metrics": ["hour_start"],
    "model_metrics": ["metric_name"],
    "drift_results": ["column_name"],
    "drift_summaries": [],
    "alert_events": ["fingerprint"],
}
# Columns that say when or by which run a row was written, not what it holds.
VOLATILE = {"run_id", "created_at", "updated_at", "recorded_at", "evaluated_at", "ingested_at", "report_uri",
            "html_uri", "report_html", "first_seen", "last_seen", "run_url", "event_id", "id", "dedup_key"}
LAKE_ASSETS = ["raw_inferences", "validated_inferences", "quarantined_inferences", "validated_labels", "model_features"]


@dataclass
class Deployment:
    folder: Path
    env: dict
    defs: dg.Definitions
    instance: dg.DagsterInstance
    instance_results: list[dg.ExecuteInProcessResult] = None  # type: ignore[assignment]

    def run(self, job: str, keys: list[str], **kw: object) -> dg.ExecuteInProcessResult:
        """One run over ``keys``: a partition run for one key, else a range run as a backfill launches it."""
        with temporary_env(self.env):
            job_def = self.defs.resolve_job_def(job)
            if len(keys) == 1:
                return job_def.execute_in_process(instance=self.instance, partition_key=keys[0], raise_on_error=False, **kw)  # type: ignore[arg-type]
            tags = {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}
            return job_def.execute_in_process(instance=self.instance, tags=tags, raise_on_error=False, **kw)  # type: ignore[arg-type]

    def warehouse(self):  # type: ignore[no-untyped-def]
        with temporary_env(self.env):
            return self.defs.resources["warehouse"].get_warehouse()  # type: ignore[union-attr]

    def lake(self):  # type: ignore[no-untyped-def]
        with temporary_env(self.env):
            return self.defs.resources["lake"].get_store()  # type: ignore[union-attr]


def _deployment(folder: Path) -> Iterator[Deployment]:
    from infranaut_pipelines.definitions import build_definitions

    (folder / "models.yaml").write_text(REGISTRY)
    env = {"INFRANAUT_DATA_DIR": str(folder / "data"), "INFRANAUT_REGISTRY": str(folder / "models.yaml"),
           "INFRANAUT_ALERT_RULES": None, "SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None,
           "INFRANAUT_PARTITIONS_START": "2026-01-01"}
    # The environment is set only while this deployment builds or runs (Deployment.run sets it again): two
    # deployments live at once, and an environment held across the yield would leak into other tests.
    with temporary_env(env):
        defs = build_definitions()
        landing = defs.resources["landing"].get_store()  # type: ignore[union-attr]
        for i, day in enumerate(DAYS):
            frame = inference_frame(day, rows=300, spend_shift=2.0 if i == len(DAYS) - 1 else 0.0)
            landing.write_bytes(drop_key(day), parquet_bytes(frame))
            landing.write_bytes(label_key(day), parquet_bytes(label_frame(frame, noise=0.1 * i)))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("models", [MODEL])
        yield Deployment(folder, env, defs, instance)


def _keys(days: list[dt.date]) -> list[str]:
    return [str(partition_key(d, MODEL)) for d in days]


def _multi(key: str) -> dg.MultiPartitionKey:
    day, model = key.split("|")
    return partition_key(day, model)


def _baseline(dep: Deployment) -> None:
    config = {"ops": {"drift_baseline": {"config": {"start": DAYS[0].isoformat(), "end": DAYS[1].isoformat()}}}}
    assert dep.run("update_baseline_job", [MODEL], run_config=config).success


def _process(dep: Deployment, ranged: bool) -> list[dg.ExecuteInProcessResult]:
    """The pipeline over the baseline days, the baseline, then the pipeline over the other days."""
    results = []
    for days in (DAYS[:2], DAYS[2:]):
        groups = [_keys(days)] if ranged else [[k] for k in _keys(days)]
        results += [dep.run("inference_pipeline_job", keys) for keys in groups]
        if days == DAYS[:2]:
            _baseline(dep)
    return results


def _table(dep: Deployment, table: str) -> pl.DataFrame:
    df = dep.warehouse().query(f"SELECT * FROM {table}")
    keep = [c for c in df.columns if c not in VOLATILE]
    return df.select(keep).sort([c for c in ["model_id", "partition_date", *TABLES[table]] if c in keep])


def _frame(dep: Deployment, asset: str, key: str) -> pl.DataFrame:
    from infranaut_pipelines.resources.io_manager import lake_key

    with dep.lake().local_copy(lake_key(asset, _multi(key))) as path:
        df = pl.read_parquet(path)
    return df.select([c for c in df.columns if c not in VOLATILE and not c.startswith("_ingested")]).sort("prediction_id")


def _materialized(dep: Deployment, asset: str) -> set[str]:
    records = dep.instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records
    return {r.partition_key for r in records if r.partition_key}  # type: ignore[misc]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, Deployment, list]]:
    single_gen = _deployment(tmp_path_factory.mktemp("single"))
    ranged_gen = _deployment(tmp_path_factory.mktemp("ranged"))
    single, ranged = next(single_gen), next(ranged_gen)
    single.instance_results = _process(single, ranged=False)
    assert all(r.success for r in single.instance_results)
    ranged_results = _process(ranged, ranged=True)
    yield single, ranged, ranged_results
    for gen in (ranged_gen, single_gen):  # last opened, first closed: each restores what it found
        gen.close()


def test_a_range_is_one_run_and_materializes_every_partition(pair) -> None:  # type: ignore[no-untyped-def]
    single, ranged, results = pair
    assert [r.success for r in results] == [True, True]
    pipeline_runs = ranged.instance.get_runs(dg.RunsFilter(job_name="inference_pipeline_job"))
    assert len(pipeline_runs) == 2  # one per range, not one per day
    for asset in ["raw_inferences", "validated_inferences", "model_features", "daily_model_metrics", "drift_report",
                  "alerts", "model_trend"]:
        assert _materialized(ranged, asset) == set(_keys(DAYS)) == _materialized(single, asset), asset
    # Each day's data checks are recorded under its own partition, as a single-partition run records them.
    def by_partition(result: dg.ExecuteInProcessResult) -> set[tuple[str, str | None]]:
        return {(e.check_name, e.partition) for e in result.get_asset_check_evaluations()
                if e.asset_key == dg.AssetKey("validated_inferences")}

    single_checks = set().union(*(by_partition(r) for r in single.instance_results))
    ranged_checks = set().union(*(by_partition(r) for r in results))
    assert single_checks and single_checks <= ranged_checks


def test_outputs_equal_per_partition(pair) -> None:  # type: ignore[no-untyped-def]
    single, ranged, _ = pair
    for asset in LAKE_ASSETS:
        for key in _keys(DAYS):
            assert _frame(single, asset, key).equals(_frame(ranged, asset, key)), (asset, key)
    for table in TABLES:
        a, b = _table(single, table), _table(ranged, table)
        assert a.height > 0 or table == "alert_events", table
        assert a.equals(b), (table, a.head(3), b.head(3))
    summaries = _table(ranged, "drift_summaries")
    assert summaries.height == 2  # days 3 and 4 compared with the baseline


def test_rerunning_a_range_is_idempotent(pair) -> None:  # type: ignore[no-untyped-def]
    _, ranged, _ = pair
    before = {t: _table(ranged, t) for t in TABLES}
    assert ranged.run("inference_pipeline_job", _keys(DAYS[2:])).success
    for table, rows in before.items():
        after = _table(ranged, table)
        key = [c for c in ["model_id", "partition_date", *TABLES[table]] if c in after.columns]
        assert after.group_by(key).len().get_column("len").max() in (None, 1), table  # no duplicate row
        if table != "alert_events":
            assert after.equals(rows), table


def test_a_failing_day_keeps_the_other_days_and_a_rerun_completes_it(pair) -> None:  # type: ignore[no-untyped-def]
    from infranaut_pipelines.resources.io_manager import lake_key

    _, ranged, _ = pair
    keys = _keys(DAYS)
    lake = ranged.lake()
    lost = lake_key("validated_inferences", dg.MultiPartitionKey({"date": DAYS[1].isoformat(), "model": MODEL}))
    saved = lake.read_bytes(lost)
    lake.delete_prefix(lost)  # the lake lost day 2's validated rows: features must fail for day 2, not guess
    feature_keys = {k: lake_key("model_features", _multi(k)) for k in keys}
    for key in feature_keys.values():
        lake.delete_prefix(key)
    result = ranged.run("label_pipeline_job", keys)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "model_features"
    assert keys[1] in failure.event_specific_data.error.message  # type: ignore[union-attr]
    # The other days' features were written; the lost day's were not.
    assert [lake.head(feature_keys[k]) is not None for k in keys] == [True, False, True, True]
    # What Dagster records: one step, one outcome. The run planned model_features for every day of the range and
    # materialized none, so every day of the range shows as failed (the days that had been materialized before
    # as well); the steps downstream did not run.
    from infranaut_pipelines.partitions import date_model_partitions

    assert not [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("model_features")]
    status = ranged.instance.get_status_by_partition(dg.AssetKey("model_features"), keys, date_model_partitions)
    assert {k: s.value if s else None for k, s in (status or {}).items()} == dict.fromkeys(keys, "FAILED")
    assert "drift_report" not in {e.step_key for e in result.all_events if e.is_step_success}
    # Restored, the same range runs again and completes, without duplicating a row.
    lake.write_bytes(lost, saved)
    assert ranged.run("label_pipeline_job", keys).success
    assert all(lake.head(k) is not None for k in feature_keys.values())
    status = ranged.instance.get_status_by_partition(dg.AssetKey("model_features"), keys, date_model_partitions)
    assert {k: s.value if s else None for k, s in (status or {}).items()} == dict.fromkeys(keys, "MATERIALIZED")
    for table in TABLES:
        df = _table(ranged, table)
        key = [c for c in ["model_id", "partition_date", *TABLES[table]] if c in df.columns]
        assert df.group_by(key).len().get_column("len").max() in (None, 1), table
