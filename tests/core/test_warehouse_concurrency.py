"""Concurrent runs writing the same PostgreSQL warehouse (production: several runs at once, each a process).

Under READ COMMITTED, two "DELETE all; INSERT" transactions racing on one table both succeed and leave both
inserts behind, and two racing CREATE TABLE IF NOT EXISTS can fail on PostgreSQL's catalog. Each thread here
has its own Warehouse (its own connections), as separate run processes do.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable

import polars as pl

from infranaut_pipelines.warehouse import Warehouse

THREADS = 6
ROUNDS = 5


def _race(pg_url: str, work: Callable[[Warehouse, int], None]) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        wh = Warehouse(pg_url)
        try:
            barrier.wait(30)
            work(wh, i)
        except BaseException as e:  # noqa: BLE001 - collected and asserted on below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def _registry(n: int) -> pl.DataFrame:
    return pl.DataFrame({"model_id": [f"m{i}" for i in range(n)], "threshold": [0.5] * n})


def _table(prefix: str) -> str:
    # The session's database is shared with other tests (dbt's among them): never touch their tables.
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_racing_whole_table_replacements_leave_one_copy(pg_url: str) -> None:
    # The validation asset snapshots the registry into model_registry on every run, of every model.
    table = _table("registry_snapshot")
    for _ in range(ROUNDS):
        errors = _race(pg_url, lambda wh, i: wh.replace_table(table, _registry(50)))
        assert not errors, errors
        n = Warehouse(pg_url).query(f'SELECT COUNT(*) AS n FROM "{table}"').item()
        assert n == 50


def test_racing_partition_replacements_of_one_partition_leave_one_copy(pg_url: str) -> None:
    day = dt.date(2026, 11, 5)
    frame = pl.DataFrame({"model_id": ["m"] * 40, "partition_date": [day] * 40, "v": list(range(40))})
    table = _table("partition_t")
    for _ in range(ROUNDS):
        errors = _race(pg_url, lambda wh, i, table=table, day=day: wh.replace_partition(table, frame, {"model_id": "m", "partition_date": day}))
        assert not errors, errors
        assert Warehouse(pg_url).query(f'SELECT COUNT(*) AS n FROM "{table}"').item() == 40


def test_racing_first_writes_create_the_table_once(pg_url: str) -> None:
    for _ in range(ROUNDS):
        table = _table("fresh")
        day = dt.date(2026, 11, 5)
        errors = _race(pg_url, lambda wh, i, table=table, day=day: wh.replace_partition(
            table, pl.DataFrame({"model_id": [f"m{i}"], "partition_date": [day]}), {"model_id": f"m{i}", "partition_date": day}))
        assert not errors, errors
        assert Warehouse(pg_url).query(f'SELECT COUNT(*) AS n FROM "{table}"').item() == THREADS
