"""Partition replacement is atomic and idempotent on DuckDB and on the real PostgreSQL."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from infranaut_pipelines.warehouse import Warehouse


def _frame(n: int, day: dt.date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "model_id": ["m"] * n,
            "partition_date": [day] * n,
            "value": [float(i) for i in range(n)],
            "note": ['comma, "quote"' if i == 0 else None for i in range(n)],
            "ts": [dt.datetime(2026, 11, 1, 12, tzinfo=dt.timezone.utc)] * n,
        }
    )


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "duckdb":
        return Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    return Warehouse(request.getfixturevalue("pg_url"))


def test_replace_partition_is_idempotent(warehouse: Warehouse) -> None:
    d1, d2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
    warehouse.replace_partition("t", _frame(3, d1), {"model_id": "m", "partition_date": d1})
    warehouse.replace_partition("t", _frame(2, d2), {"model_id": "m", "partition_date": d2})
    warehouse.replace_partition("t", _frame(4, d1), {"model_id": "m", "partition_date": d1})
    counts = warehouse.query("SELECT partition_date, COUNT(*) AS n FROM t GROUP BY partition_date ORDER BY 1")
    assert counts.rows() == [(d1, 4), (d2, 2)]
    note = warehouse.query("SELECT note FROM t WHERE value = 0 AND partition_date = :d", {"d": d1}).item()
    assert note == 'comma, "quote"'
