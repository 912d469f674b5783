"""Real dbt builds against a DuckDB file and the real PostgreSQL, as few as possible (dbt is slow to start).

dbt runs in-process through ``dbtRunner`` (the same CLI, minus a Python start-up per build), with the
profile's environment derived from the warehouse URL exactly as the Dagster asset does it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from infranaut_pipelines.partitions import MODEL_PARTITIONS_NAME, partition_key
from infranaut_pipelines.resources.dbt import DBT_PROJECT_DIR, dbt_env_for_warehouse, dbt_environment
from infranaut_pipelines.warehouse import Warehouse
from tests.dbt import sample_data as sd


@dataclass
class Built:
    """A warehouse after the scenario builds, with each build's outcome."""

    url: str
    warehouse: Warehouse
    builds: dict[str, bool] = field(default_factory=dict)
    # Row counts of the binary model's partition right after its first build.
    counts_after_first_build: dict[str, int] = field(default_factory=dict)
    dagster_result: dg.ExecuteInProcessResult | None = None


def load_sample(wh: Warehouse) -> dict:
    data = sd.dataset()
    wh.replace_partition("model_registry", sd.REGISTRY, {"model_id": "__none__"})
    for model_id, frames in data.items():
        for table, df in frames.items():
            wh.replace_partition(table, df, {"model_id": model_id, "partition_date": sd.DAY})
    return data


def dbt_build(url: str, day: str, model_id: str, target_path: Path, *, command: str = "build") -> bool:
    from dbt.cli.main import dbtRunner

    args = [
        command, "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path), "--log-path", str(target_path),
        "--vars", json.dumps({"partition_date": day, "model_id": model_id}),
    ]  # fmt: skip
    with dbt_environment(dbt_env_for_warehouse(url)):
        result = dbtRunner().invoke(args)
    if url.startswith("duckdb"):
        _release_duckdb_file()
    if result.exception is not None:
        raise result.exception
    return bool(result.success)


def _release_duckdb_file() -> None:
    """In-process dbt-duckdb keeps its DuckDB connection cached after a build; close it so that this process
    (and the next dbt or Dagster run) can open the file. The subprocess dbt in production exits instead."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if env is not None:
        env.close()


TABLES = ("daily_model_metrics", "hourly_model_metrics", "model_metrics")


def row_counts(wh: Warehouse, model_id: str = sd.BINARY) -> dict[str, int]:
    sql = "select count(*) as n from {} where model_id = :m"
    return {t: int(wh.query(sql.format(t), {"m": model_id})["n"][0]) for t in TABLES}


def _scenario(url: str, tmp: Path, partitions: list[tuple[str, str, str]]) -> Built:
    wh = Warehouse(url)
    load_sample(wh)
    built = Built(url=url, warehouse=wh)
    for i, (command, day, model_id) in enumerate(partitions):
        built.builds[f"{day}|{model_id}"] = dbt_build(url, day, model_id, tmp / f"target{i}", command=command)
        if model_id == sd.BINARY and day == sd.DAY.isoformat() and not built.counts_after_first_build:
            built.counts_after_first_build = row_counts(wh)
    return built


def materialize(url: str, model_id: str, day: dt.date = sd.DAY) -> dg.ExecuteInProcessResult:
    """The Dagster asset for one partition, on an ephemeral instance that knows the model partition."""
    from infranaut_pipelines.assets.aggregation import aggregation_dbt_assets
    from infranaut_pipelines.resources.dbt import dbt_resource
    from infranaut_pipelines.resources.storage import WarehouseResource

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(MODEL_PARTITIONS_NAME, [model_id])
    return dg.materialize(
        [aggregation_dbt_assets],
        partition_key=partition_key(day, model_id),
        instance=instance,
        resources={"dbt": dbt_resource(), "warehouse": WarehouseResource(url=url)},
        raise_on_error=False,
    )


# Each dbt start costs seconds, so the scenarios are split between the adapters instead of repeated:
# - DuckDB: regression and multiclass with `dbt run`, then the binary partition through Dagster (`dbt build`,
#   tests as asset checks);
# - PostgreSQL: the binary partition, its re-run (`build`: replace, not duplicate) and a partition without rows.
# The adapter-specific SQL (percentiles, casts, time zones, the partition delete) runs on both.
DUCKDB_PARTITIONS = [
    ("run", sd.DAY.isoformat(), sd.REGRESSION),
    ("run", sd.DAY.isoformat(), sd.MULTICLASS),
]
PG_PARTITIONS = [
    ("run", sd.DAY.isoformat(), sd.BINARY),
    ("build", sd.DAY.isoformat(), sd.BINARY),
    ("run", sd.EMPTY_DAY.isoformat(), sd.BINARY),
]


@pytest.fixture(scope="session")
def duckdb_built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    tmp = tmp_path_factory.mktemp("dbt_duckdb")
    built = _scenario(f"duckdb:///{tmp / 'warehouse.duckdb'}", tmp, DUCKDB_PARTITIONS)
    built.dagster_result = materialize(built.url, sd.BINARY)
    built.builds[f"{sd.DAY}|{sd.BINARY}"] = built.dagster_result.success
    return built


@pytest.fixture(scope="session")
def pg_built(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    tmp = tmp_path_factory.mktemp("dbt_pg")
    built = _scenario(pg_url, tmp, PG_PARTITIONS)
    yield built
    built.warehouse.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
