"""Features phase: the model-ready feature table of one (date, model), with its statistics in the UI."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from infranaut_pipelines.features.engineering import engineer_features, feature_statistics, statistics_markdown
from infranaut_pipelines.partitions import date_model_partitions, partition_key, split_partition_key
from infranaut_pipelines.resources.io_manager import lake_key, read_frame
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource

HOURLY_METRICS = dg.AssetKey("hourly_model_metrics")
VALIDATED = dg.AssetKey("validated_inferences")
NO_PREDICTIONS = "no predictions for this day"


def _validated_or_none(context: dg.AssetExecutionContext, lake: ObjectStoreResource, key: str) -> pl.DataFrame | None:
    """The day's validated inferences, or None when no inference drop was ever ingested for it.

    Read here rather than as an IO-managed input: a label drop can arrive before its inference drop, and the
    label job then reaches this asset for a day whose validated_inferences partition does not exist yet.
    """
    if lake.get_store().head(key) is not None:
        return read_frame(lake, key)
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=VALIDATED, asset_partitions=[context.partition_key]), limit=1
    ).records
    if records:  # materialized once, gone now: the lake lost data, which must not pass for "no predictions"
        raise FileNotFoundError(
            f"validated_inferences partition {context.partition_key} was materialized but is missing from the lake ({key})"
        )
    return None


@dg.asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    partitions_def=date_model_partitions,
    group_name="features",
    kinds={"polars", "parquet"},
    deps=[HOURLY_METRICS, VALIDATED],
    # No output on a day without predictions: drift_report and alerts are then skipped in the run, rather
    # than a zero-row partition that the nightly report and the baseline window would take for a real day.
    output_required=False,
    description="Validated rows with engineered features (range-scaled numerics, missing flags, hour of day, "
    "traffic context from the dbt hourly metrics). Original feature values are kept for drift detection.",
)
def model_features(
    context: dg.AssetExecutionContext,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> Iterator[dg.Output[pl.DataFrame]]:
    day, model_id = split_partition_key(context)
    validated_inferences = _validated_or_none(context, lake, lake_key(VALIDATED.path[-1], partition_key(day, model_id)))
    if validated_inferences is None:
        # Labels that arrive first are already stored (validated_labels, label_log); the inference drop's run
        # ingests them again and builds features, drift and alerts for the day.
        context.log.info(f"{model_id} {day}: {NO_PREDICTIONS}; features, drift and alerts wait for its inference drop")
        context.log_event(dg.AssetObservation(
            asset_key=context.asset_key, partition=context.partition_key,
            metadata={"status": dg.MetadataValue.text(NO_PREDICTIONS)},
        ))
        return
    spec = settings.registry().model(model_id)
    wh = warehouse.get_warehouse()
    hourly = None
    if wh.table_exists("hourly_model_metrics"):
        hourly = wh.query(
            "SELECT CAST(EXTRACT(HOUR FROM hour_start) AS INTEGER) AS hour, request_count, error_rate "
            "FROM hourly_model_metrics "
            "WHERE model_id = :m AND partition_date = :d",
            {"m": model_id, "d": day},
        )
    features = engineer_features(validated_inferences, spec, hourly)
    stats = feature_statistics(features, spec)
    sensitive = {f.name for f in spec.features if f.sensitive}
    yield dg.Output(
        features,
        metadata={
            "status": dg.MetadataValue.text("built"),
            "row_count": dg.MetadataValue.int(features.height),
            "feature_count": dg.MetadataValue.int(len(spec.features)),
            "statistics": dg.MetadataValue.md(statistics_markdown(stats, sensitive)),
            "columns": dg.MetadataValue.text(", ".join(features.columns)),
        },
    )
