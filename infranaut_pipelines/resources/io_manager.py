"""Asset values (polars DataFrames) stored as parquet in the lake, one file per partition.

Layout: ``<asset>/model=<model_id>/date=<YYYY-MM-DD>.parquet`` so that the lake is readable by any
engine (DuckDB, Spark, Athena) without Dagster, and a re-run overwrites its own partition only.
"""


import io

import dagster as dg
import polars as pl

from infranaut_pipelines.resources.storage import ObjectStoreResource


def lake_key(asset: str, partition: dg.MultiPartitionKey | str | None) -> str:
    if partition is None:
        return f"{asset}/all.parquet"
    if isinstance(partition, dg.MultiPartitionKey):
        dims = partition.keys_by_dimension
        return f"{asset}/model={dims['model']}/date={dims['date']}.parquet"
    return f"{asset}/{partition}.parquet"


def write_frame(lake: ObjectStoreResource, key: str, df: pl.DataFrame) -> None:
    buf = io.BytesIO()
    df.write_parquet(buf, compression="zstd", statistics=True)
    lake.get_store().write_bytes(key, buf.getvalue())


def read_frame(lake: ObjectStoreResource, key: str) -> pl.DataFrame:
    with lake.get_store().local_copy(key) as path:
        return pl.read_parquet(path)


class LakeParquetIOManager(dg.ConfigurableIOManager):
    lake: ObjectStoreResource

    def _key(self, context: dg.OutputContext | dg.InputContext) -> str:
        asset = "/".join(context.asset_key.path)
        partition = None
        if context.has_asset_partitions:
            partition = context.asset_partition_key
            if isinstance(context.asset_partitions_def, dg.MultiPartitionsDefinition) and not isinstance(
                partition, dg.MultiPartitionKey
            ):
                partition = context.asset_partitions_def.get_partition_key_from_str(partition)
        return lake_key(asset, partition)

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame | None) -> None:
        if obj is None:
            return
        if not isinstance(obj, pl.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()}: expected a polars DataFrame, got {type(obj)}")
        key = self._key(context)
        write_frame(self.lake, key, obj)
        context.add_output_metadata({"lake_path": dg.MetadataValue.path(self.lake.get_store().uri(key))})

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        return read_frame(self.lake, self._key(context))


def day_reader(lake: ObjectStoreResource, model_id: str):  # type: ignore[no-untyped-def]
    """A ``monitoring.reference.DayReader`` over the lake: (model_features, validated_labels) of one day,
    each None when that partition was never materialized."""
    from infranaut_pipelines.partitions import partition_key

    store = lake.get_store()

    def read(day):  # type: ignore[no-untyped-def]
        out = []
        for asset in ("model_features", "validated_labels"):
            key = lake_key(asset, partition_key(day, model_id))
            out.append(read_frame(lake, key) if store.head(key) is not None else None)
        return out[0], out[1]

    return read
