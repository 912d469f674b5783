"""One partition = one day of one model's traffic.

The model dimension is dynamic: models are added by the landing sensor (or the demo) when a drop
for a registered model first arrives, so adding a model to the registry needs no redeploy.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from infranaut_pipelines.settings import current

MODEL_PARTITIONS_NAME = "models"

# The first day partitions exist (INFRANAUT_PARTITIONS_START, declared in settings.py). Read when the code
# loads, not per run, because a partition set is part of the code location's definition: every process of a
# deployment (webserver, daemon, run workers, Celery workers) must see the same value, so it belongs in the
# environment they share. Days before it can be neither ingested (the landing sensor rejects them with that
# reason) nor backfilled.
PARTITIONS_START_DATE = current().partitions_start.isoformat()

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=PARTITIONS_START_DATE,
    timezone="UTC",
    # Include today: drops for the current day land before midnight and should be ingestible at once.
    end_offset=1,
)
model_partitions = dg.DynamicPartitionsDefinition(name=MODEL_PARTITIONS_NAME)

date_model_partitions = dg.MultiPartitionsDefinition({"date": daily_partitions, "model": model_partitions})


def partition_key(day: dt.date | str, model_id: str) -> dg.MultiPartitionKey:
    day_s = day.isoformat() if isinstance(day, dt.date) else day
    return dg.MultiPartitionKey({"date": day_s, "model": model_id})


def split_partition_key(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> tuple[dt.date, str]:
    """(date, model_id) of the partition being materialized."""
    key = context.partition_key
    if not isinstance(key, dg.MultiPartitionKey):
        key = dg.MultiPartitionKey.from_str(key) if "|" in key else key  # type: ignore[arg-type]
    dims = key.keys_by_dimension  # type: ignore[union-attr]
    return dt.date.fromisoformat(dims["date"]), dims["model"]
