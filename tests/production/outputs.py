"""What a partition produced, read back from the lake and the warehouse, in a form two runs can compare."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg
import polars as pl

from infranaut_pipelines.resources.io_manager import lake_key
from infranaut_pipelines.storage import open_store
from infranaut_pipelines.warehouse import Warehouse

# Columns that legitimately differ between two runs of the same partition (when, which run).
VOLATILE = ("run_id", "run_url", "_at")


@dataclass
class Outputs:
    frames: dict[str, pl.DataFrame]
    drift: pl.DataFrame
    daily: pl.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        return {k: v.height for k, v in self.frames.items()}


def _stable(df: pl.DataFrame) -> pl.DataFrame:
    keep = [c for c in df.columns if not c.endswith(VOLATILE) and df.schema[c] != pl.Datetime]
    df = df.select(keep)
    return df.sort(keep) if keep and df.height else df


def read_outputs(lake_url: str, warehouse_url: str, model: str, day: dt.date) -> Outputs:
    key = dg.MultiPartitionKey({"date": day.isoformat(), "model": model})
    store = open_store(lake_url)
    frames = {}
    for asset in ("raw_inferences", "validated_inferences", "quarantined_inferences", "model_features"):
        with store.local_copy(lake_key(asset, key)) as path:
            frames[asset] = pl.read_parquet(path)
    wh = Warehouse(warehouse_url)
    params = {"m": model, "d": day}
    drift = wh.query(
        "SELECT column_name, role, method, score, threshold, drifted FROM drift_results "
        "WHERE model_id = :m AND partition_date = :d", params,
    )
    daily = wh.query("SELECT * FROM daily_model_metrics WHERE model_id = :m AND partition_date = :d", params)
    return Outputs(frames, _stable(drift), _stable(daily))


def assert_same(a: Outputs, b: Outputs) -> None:
    assert a.counts == b.counts
    for name in a.frames:
        x, y = a.frames[name], b.frames[name]
        assert x.columns == y.columns, name
        cols = [c for c in x.columns if not c.endswith(VOLATILE)]
        x, y = x.select(cols).sort("prediction_id"), y.select(cols).sort("prediction_id")
        differ = [c for c in cols if not x.get_column(c).equals(y.get_column(c))]
        assert not differ, (name, differ)
    assert a.drift.height > 0
    assert a.drift.equals(b.drift), (a.drift, b.drift)
    assert a.daily.height == 1
    assert a.daily.equals(b.daily), (a.daily, b.daily)


def assert_no_duplicates(o: Outputs, warehouse_url: str, model: str, day: dt.date) -> None:
    for name in ("validated_inferences", "model_features"):  # raw data carries the demo's planted duplicates
        df = o.frames[name]
        if "prediction_id" in df.columns:
            assert df.get_column("prediction_id").is_duplicated().sum() == 0, name
    assert o.drift.get_column("column_name").is_duplicated().sum() == 0
    wh = Warehouse(warehouse_url)
    for table in ("daily_model_metrics", "hourly_model_metrics", "drift_results"):
        n = wh.query(f"SELECT COUNT(*) AS n FROM {table} WHERE model_id = :m AND partition_date = :d", {"m": model, "d": day})
        assert n.item() >= 1, table
    hourly = wh.query("SELECT * FROM hourly_model_metrics WHERE model_id = :m AND partition_date = :d", {"m": model, "d": day})
    hour_col = next(c for c in hourly.columns if "hour" in c)
    assert hourly.get_column(hour_col).is_duplicated().sum() == 0
