"""The registry as the warehouse sees it: the ``model_registry`` table the dbt models join for thresholds and SLAs.

An asset of its own (not a side effect of validation) so the dbt source ``warehouse.model_registry`` maps to
something that is owned and materialized in the lineage. Partitioned like the rest: each (date, model) run
rewrites that model's row from the registry in effect, so a changed SLA reaches the next aggregation and the
UI shows when each model's row was last written.
"""

# No `from __future__ import annotations`: Dagster checks the `context` hint and cannot resolve a string one.
import dagster as dg
import polars as pl

from infranaut_pipelines.partitions import RANGE_BACKFILL_POLICY, date_model_partitions, days_by_model, run_partitions
from infranaut_pipelines.resources.storage import InfranautSettings, WarehouseResource
from infranaut_pipelines.warehouse.inference_log import model_registry_frame


@dg.asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    name="model_registry",
    partitions_def=date_model_partitions,
    group_name="aggregation",
    kinds={"sql"},
    backfill_policy=RANGE_BACKFILL_POLICY,
    description="One row per registered model (task, threshold, SLAs), read by the dbt aggregation models.",
)
def model_registry(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: InfranautSettings
) -> dg.MaterializeResult:
    # One row per model, whatever the number of days in the step's range.
    for model_id in days_by_model(run_partitions(context)):
        row = model_registry_frame(settings.registry()).filter(pl.col("model_id") == model_id)
        warehouse.get_warehouse().replace_partition("model_registry", row, {"model_id": model_id})
        first = row.row(0, named=True)
    return dg.MaterializeResult(
        metadata={
            "task": dg.MetadataValue.text(str(first["task"])),
            "sla_latency_p95_ms": dg.MetadataValue.float(float(first["sla_latency_p95_ms"] or 0.0)),
            "sla_error_rate": dg.MetadataValue.float(float(first["sla_error_rate"] or 0.0)),
        }
    )
