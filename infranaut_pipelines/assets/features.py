"""Features phase: the model-ready feature table of one (date, model), with its statistics in the UI."""

import datetime as dt
from collections.abc import Iterator

import dagster as dg
import polars as pl

from infranaut_pipelines.features.engineering import engineer_features, feature_statistics, statistics_markdown
from infranaut_pipelines.partitions import (
    RANGE_BACKFILL_POLICY,
    date_model_partitions,
    each_partition,
    partition_key,
)
from infranaut_pipelines.resources.io_manager import lake_key, read_frame, write_frame
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource

HOURLY_METRICS = dg.AssetKey("hourly_model_metrics")
VALIDATED = dg.AssetKey("validated_inferences")
NO_PREDICTIONS = "no predictions for this day"


def _validated_or_none(context: dg.AssetExecutionContext, lake: ObjectStoreResource,
                       part: dg.MultiPartitionKey) -> pl.DataFrame | None:
    """The day's validated inferences, or None when no inference drop was ever ingested for it.

    Read here rather than as an IO-managed input: a label drop can arrive before its inference drop, and the
    label job then reaches this asset for a day whose validated_inferences partition does not exist yet.
    """
    key = lake_key(VALIDATED.path[-1], part)
    if lake.get_store().head(key) is not None:
        return read_frame(lake, key)
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=VALIDATED, asset_partitions=[str(part)]), limit=1
    ).records
    if records:  # materialized once, gone now: the lake lost data, which must not pass for "no predictions"
        raise FileNotFoundError(
            f"validated_inferences partition {part} was materialized but is missing from the lake ({key})"
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
    backfill_policy=RANGE_BACKFILL_POLICY,
    description="Validated rows with engineered features (range-scaled numerics, missing flags, hour of day, "
    "traffic context from the dbt hourly metrics). Original feature values are kept for drift detection.",
)
def model_features(
    context: dg.AssetExecutionContext,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> Iterator[dg.Output[dict]]:
    def one_day(day: dt.date, model_id: str) -> tuple[pl.DataFrame, dict] | None:
        return _features_of_day(context, day, model_id, lake, warehouse, settings)

    def keep(done: dict) -> None:
        for part, built in done.items():
            if built is not None:
                write_frame(lake, lake_key("model_features", date_model_partitions.get_partition_key_from_str(part)),
                            built[0])

    done = {k: v for k, v in each_partition(context, one_day, keep).items() if v is not None}
    if not done:
        return
    if len(done) == 1:
        (frame, metadata), = done.values()
        yield dg.Output(dict(zip(done, [frame], strict=True)), metadata=metadata)
        return
    # Days of the range without predictions have no file (their drift report and alerts skip them).
    yield dg.Output({k: v[0] for k, v in done.items()}, metadata={
        "status": dg.MetadataValue.text("built"),
        "partitions": dg.MetadataValue.int(len(done)),
        "row_count": dg.MetadataValue.int(sum(v[0].height for v in done.values())),
        "by_partition": dg.MetadataValue.json({k: {"row_count": v[0].height} for k, v in done.items()}),
    })


def _features_of_day(
    context: dg.AssetExecutionContext,
    day: dt.date,
    model_id: str,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> tuple[pl.DataFrame, dict] | None:
    part = partition_key(day, model_id)
    validated_inferences = _validated_or_none(context, lake, part)
    if validated_inferences is None:
        # Labels that arrive first are already stored (validated_labels, label_log); the inference drop's run
        # ingests them again and builds features, drift and alerts for the day.
        context.log.info(f"{model_id} {day}: {NO_PREDICTIONS}; features, drift and alerts wait for its inference drop")
        context.log_event(dg.AssetObservation(
            asset_key=context.asset_key, partition=str(part),
            metadata={"status": dg.MetadataValue.text(NO_PREDICTIONS)},
        ))
        return None
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
    return features, {
        "status": dg.MetadataValue.text("built"),
        "row_count": dg.MetadataValue.int(features.height),
        "feature_count": dg.MetadataValue.int(len(spec.features)),
        "statistics": dg.MetadataValue.md(statistics_markdown(stats, sensitive)),
        "columns": dg.MetadataValue.text(", ".join(features.columns)),
    }
