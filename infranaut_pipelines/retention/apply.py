"""Apply a retention policy: delete old warehouse rows in batches, expire old lake partitions.

Plain I/O over a :class:`Warehouse` and the lake's :class:`ObjectStore` (the Dagster op is a thin wrapper).
Each batch is its own transaction of at most ``batch_rows`` rows, so the job never holds a long lock on a
table the pipeline writes, and an interrupted run leaves only complete batches behind (the next run
finishes the work). What is protected is decided before anything is deleted (see :func:`protected_days`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from infranaut_pipelines.monitoring.layout import baseline_state
from infranaut_pipelines.registry.schema import Registry
from infranaut_pipelines.retention.policy import RetentionPolicy
from infranaut_pipelines.retention.rules import (
    ALL_DAYS,
    LAKE_ASSETS,
    TABLE_RULES,
    Protected,
    cutoff_day,
    delete_condition,
    expired,
    lake_partition,
)
from infranaut_pipelines.storage.object_store import ObjectStore
from infranaut_pipelines.warehouse import Warehouse


@dataclass
class RetentionSummary:
    rows_deleted: dict[str, int] = field(default_factory=dict)  # table -> rows
    partitions_expired: dict[str, int] = field(default_factory=dict)  # asset -> partitions (files or reports)
    protected_models: dict[str, str] = field(default_factory=dict)  # model -> what is kept, for the log


def protected_days(lake: ObjectStore, registry: Registry) -> tuple[dict[str, set[dt.date] | str], dict[str, str]]:
    """Per registered model, the days retention must not touch, and a line saying why.

    The current baseline's window (the days it was built from) and a pinned window in the registry: a
    rebuild reads those days again. Days whose report waits for a first baseline. A model with no
    baseline yet keeps every day: its first window is still being collected.
    """
    protected: dict[str, set[dt.date] | str] = {}
    why: dict[str, str] = {}
    for spec in registry.models:
        pointer, _, waiting = baseline_state(lake, spec.id)
        if pointer is None:
            protected[spec.id] = ALL_DAYS
            why[spec.id] = "no baseline yet: every day kept"
            continue
        days = {dt.date.fromisoformat(d) for d in pointer.get("days", [])} | set(waiting)
        pinned = spec.drift.baseline
        if pinned.start is not None and pinned.end is not None:
            days |= {pinned.start + dt.timedelta(days=n) for n in range((pinned.end - pinned.start).days + 1)}
        protected[spec.id] = days
        why[spec.id] = f"{len(days)} baseline/waiting day(s) kept"
    return protected, why


def apply_retention(
    warehouse: Warehouse, lake: ObjectStore, policy: RetentionPolicy, registry: Registry, today: dt.date
) -> RetentionSummary:
    protected, why = protected_days(lake, registry)
    summary = RetentionSummary(protected_models=why)
    present = set(sa.inspect(warehouse.engine).get_table_names())  # one look, not one per table
    for table, days in sorted(policy.warehouse.items()):
        if days is None or table not in present:
            continue
        summary.rows_deleted[table] = delete_in_batches(
            warehouse, table, *delete_condition(TABLE_RULES[table], cutoff_day(today, days), protected),
            batch_rows=policy.batch_rows)
    for asset, days in sorted(policy.lake.items()):
        if days is not None and asset in LAKE_ASSETS:
            summary.partitions_expired[asset] = expire_lake(lake, asset, cutoff_day(today, days), protected)
    return summary


def delete_in_batches(warehouse: Warehouse, table: str, where: str, params: dict, batch_rows: int) -> int:
    """DELETE ... WHERE ``where``, ``batch_rows`` rows a transaction (DuckDB by rowid, PostgreSQL by ctid)."""
    row_id = "ctid" if warehouse.dialect == "postgresql" else "rowid"
    sql = sa.text(f'DELETE FROM "{table}" WHERE {row_id} IN '
                  f'(SELECT {row_id} FROM "{table}" WHERE {where} LIMIT :batch_rows)')
    total = 0
    while True:
        with warehouse.connect() as conn:
            n = conn.execute(sql, {**params, "batch_rows": batch_rows}).rowcount
        total += max(n, 0)
        if n < batch_rows:
            return total


def expire_lake(lake: ObjectStore, asset: str, cutoff: dt.date, protected: Protected) -> int:
    """Delete the asset's partitions (or reports) of days before ``cutoff`` that no model protects."""
    targets: set[str] = set()
    for obj in lake.list(f"{asset}/"):
        where = lake_partition(asset, obj.key)
        if where is not None and expired(where[0], where[1], cutoff, protected):
            targets.add(where[2])
    for target in sorted(targets):
        if target.endswith("/"):
            lake.delete_prefix(target)  # a day's reports folder
        else:
            lake.delete(target)  # one partition file, exactly
    return len(targets)
