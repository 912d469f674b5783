"""Asset values (polars DataFrames) stored as parquet in the lake, one file per partition.

Layout: ``<asset>/model=<model_id>/date=<YYYY-MM-DD>.parquet`` so that the lake is readable by any
engine (DuckDB, Spark, Athena) without Dagster, and a re-run overwrites its own partition only.

A step materializes a range of partitions (a range of one for a single-partition run), so a partitioned
value is a ``{partition key: DataFrame}`` mapping both ways: an asset returns one frame per partition it
built, and an input is one frame per upstream partition that exists in the lake.
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

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame | dict[str, pl.DataFrame] | None) -> None:
        if obj is None:
            return
        asset = "/".join(context.asset_key.path)
        if isinstance(obj, dict):
            frames = obj
            for part, df in frames.items():
                if not isinstance(df, pl.DataFrame):
                    raise TypeError(f"{asset} {part}: expected a polars DataFrame, got {type(df)}")
            keys = [lake_key(asset, _multi_key(context, part)) for part in frames]
            for key, df in zip(keys, frames.values(), strict=True):
                write_frame(self.lake, key, df)
        elif isinstance(obj, pl.DataFrame):
            keys = [self._key(context)]
            write_frame(self.lake, keys[0], obj)
        else:
            raise TypeError(f"{asset}: expected a polars DataFrame (or one per partition), got {type(obj)}")
        store = self.lake.get_store()
        # One path for one partition (as before); a range shows where its files are.
        path = store.uri(keys[0]) if len(keys) == 1 else store.uri(keys[0].rsplit("/", 2)[0] + "/")
        context.add_output_metadata({"lake_path": dg.MetadataValue.path(path), "lake_files": len(keys)})

    def load_input(self, context: dg.InputContext) -> pl.DataFrame | dict[str, pl.DataFrame]:
        if not (context.has_asset_partitions and isinstance(context.asset_partitions_def, dg.MultiPartitionsDefinition)):
            return read_frame(self.lake, self._key(context))
        # Every upstream partition of the step's range that was written; a missing one is left out (a day
        # without predictions writes no model_features), and the asset decides what that day means.
        asset = "/".join(context.asset_key.path)
        store = self.lake.get_store()
        out: dict[str, pl.DataFrame] = {}
        for part in context.asset_partition_keys:
            key = lake_key(asset, _multi_key(context, part))
            if store.head(key) is not None:
                out[str(part)] = read_frame(self.lake, key)
        return out


def _multi_key(context: dg.OutputContext | dg.InputContext, part: str) -> dg.MultiPartitionKey:
    if isinstance(part, dg.MultiPartitionKey):
        return part
    return context.asset_partitions_def.get_partition_key_from_str(part)  # type: ignore[union-attr]


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
