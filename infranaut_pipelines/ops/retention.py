"""The retention op: load the policy, apply it (infranaut_pipelines/retention), report what went."""

# No "from __future__ import annotations": Dagster reads the config and resource annotations at runtime.

import datetime as dt

import dagster as dg

from infranaut_pipelines import settings as infranaut_settings
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.retention import apply_retention, load_policy


class RetentionConfig(dg.Config):
    """``today``: the day retention counts back from (default: today, UTC); set it to preview or replay."""

    today: str = ""


@dg.op(description="Deletes warehouse rows and lake partitions past retention (config/retention.yaml), never "
       "open alerts, undelivered outbox messages or a model's baseline window.")
def apply_retention_op(
    context: dg.OpExecutionContext,
    config: RetentionConfig,
    warehouse: WarehouseResource,
    lake: ObjectStoreResource,
    settings: InfranautSettings,
) -> dg.Output[None]:
    today = dt.date.fromisoformat(config.today) if config.today else dt.datetime.now(dt.timezone.utc).date()
    policy = load_policy(infranaut_settings.current().retention_file or None)
    summary = apply_retention(warehouse.get_warehouse(), lake.get_store(), policy, settings.registry(), today)
    for model_id, why in sorted(summary.protected_models.items()):
        context.log.info(f"{model_id}: {why}")
    rows, parts = sum(summary.rows_deleted.values()), sum(summary.partitions_expired.values())
    context.log.info(f"retention for {today}: {rows} warehouse row(s) deleted, {parts} lake partition(s) expired")
    return dg.Output(None, metadata={
        "today": today.isoformat(),
        "rows_deleted": dg.MetadataValue.json(summary.rows_deleted),
        "partitions_expired": dg.MetadataValue.json(summary.partitions_expired),
    })
