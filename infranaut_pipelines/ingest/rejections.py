"""The record of rejected drops: which object, why, and when, queryable in the warehouse.

Both the landing sensor (bad keys) and the ingestion assets (unreadable files) write here, so a user
has one place to look when a drop "disappeared".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from infranaut_pipelines.warehouse import Warehouse

TABLE = "rejected_drops"


@dataclass(frozen=True)
class Rejection:
    key: str
    reason: str
    stage: str  # "sensor" or "ingestion"
    version: str = ""
    model_id: str = ""
    partition_date: str = ""


def record_rejections(warehouse: Warehouse, rejections: Iterable[Rejection], at: dt.datetime | None = None) -> int:
    rows = list(rejections)
    if not rows:
        return 0
    when = at or dt.datetime.now(dt.timezone.utc)
    df = pl.DataFrame(
        {
            "key": [r.key for r in rows],
            "version": [r.version for r in rows],
            "reason": [r.reason for r in rows],
            "stage": [r.stage for r in rows],
            "model_id": [r.model_id for r in rows],
            "partition_date": [r.partition_date for r in rows],
            "rejected_at": [when] * len(rows),
        },
        schema_overrides={"rejected_at": pl.Datetime("us", "UTC")},
    )
    # Keyed by (key, version, stage): re-ingesting the same bad object replaces its row, no duplicates.
    for r in rows:
        if warehouse.table_exists(TABLE):
            warehouse.execute(
                f'DELETE FROM "{TABLE}" WHERE "key" = :k AND "version" = :v AND "stage" = :s',
                {"k": r.key, "v": r.version, "s": r.stage},
            )
    return warehouse.append(TABLE, df)
