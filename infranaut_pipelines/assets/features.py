"""Features phase: the model-ready feature table of one (date, model), with its statistics in the UI."""


import dagster as dg
import polars as pl

from infranaut_pipelines.features.engineering import engineer_features, feature_statistics, statistics_markdown
from infranaut_pipelines.partitions import date_model_partitions, split_partition_key
from infranaut_pipelines.resources.storage import InfranautSettings, WarehouseResource

HOURLY_METRICS = dg.AssetKey("hourly_model_metrics")


@dg.asset(
    partitions_def=date_model_partitions,
    group_name="features",
    kinds={"polars", "parquet"},
    deps=[HOURLY_METRICS],
    description="Validated rows with engineered features (range-scaled numerics, missing flags, hour of day, "
    "traffic context from the dbt hourly metrics). Original feature values are kept for drift detection.",
)
def model_features(
    context: dg.AssetExecutionContext,
    validated_inferences: pl.DataFrame,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dg.Output[pl.DataFrame]:
    day, model_id = split_partition_key(context)
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
    return dg.Output(
        features,
        metadata={
            "row_count": dg.MetadataValue.int(features.height),
            "feature_count": dg.MetadataValue.int(len(spec.features)),
            "statistics": dg.MetadataValue.md(statistics_markdown(stats, sensitive)),
            "columns": dg.MetadataValue.text(", ".join(features.columns)),
        },
    )
