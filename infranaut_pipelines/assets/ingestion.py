"""Ingestion: read every drop of one (date, model) partition from the landing zone into the lake.

A file that cannot be read is rejected with its reason (recorded in ``rejected_drops`` and in the
materialization's metadata) while the other files of the partition are still ingested: one bad upload
must not block a day of good ones.

A model whose registry ``source`` names a serving stack (SageMaker capture, KServe, an inference table) is
read from that stack's layout through :mod:`infranaut_pipelines.ingest.formats` into the same frame; a
record that does not decode is a row carrying its reason, so validation quarantines it and every record
is counted.
"""

import datetime as dt

import dagster as dg
import polars as pl

from infranaut_pipelines.ingest.contract import BadDropKey, DropKind, drop_prefix, parse_drop_key
from infranaut_pipelines.ingest.formats.decode import uses_serving_log
from infranaut_pipelines.ingest.formats.partition import read_partition
from infranaut_pipelines.ingest.ledger import write_ledger
from infranaut_pipelines.ingest.readers import UnreadableDrop, raw_contract_schema, read_drop_with_report
from infranaut_pipelines.ingest.rejections import Rejection, record_rejections
from infranaut_pipelines.partitions import RANGE_BACKFILL_POLICY, date_model_partitions, each_partition
from infranaut_pipelines.resources.io_manager import lake_key, write_frame
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.storage.object_store import UnsafeKeyError

# Transient S3 errors (throttling, connection resets) are worth retrying; bad files are not, and are
# handled as rejections instead of exceptions so they never consume retries.
INGEST_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def _ingest(
    context: dg.AssetExecutionContext,
    kind: DropKind,
    landing: ObjectStoreResource,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dg.Output[dict]:
    """Every partition of the step (a range of one model's days, or one), one frame each."""
    asset = "raw_inferences" if kind == "inferences" else "raw_labels"

    def keep(done: dict[str, tuple[pl.DataFrame, dict]]) -> None:
        for part, (df, _) in done.items():
            write_frame(lake, lake_key(asset, date_model_partitions.get_partition_key_from_str(part)), df)

    done = each_partition(
        context, lambda day, model_id: _ingest_day(context, kind, day, model_id, landing, lake, warehouse, settings),
        keep,
    )
    frames = {part: df for part, (df, _) in done.items()}
    metas = [meta for _, meta in done.values()]
    if len(metas) == 1:
        return dg.Output(frames, metadata=metas[0])
    return dg.Output(frames, metadata=_range_metadata(metas))


def _range_metadata(metas: list[dict]) -> dict:
    """A range's metadata: the counts summed over its days, the rejections and extra columns listed."""
    out: dict = {"partitions": dg.MetadataValue.int(len(metas))}
    for name in ("row_count", "files", "rows_with_coercion_errors", "rejected_files"):
        out[name] = dg.MetadataValue.int(sum(m[name].value for m in metas))
    for name in ("rejections", "extra_columns"):
        listed = [m[name].value for m in metas if m[name].value != "none"]
        out[name] = dg.MetadataValue.md("\n".join(listed) or "none")
    out["columns"] = metas[0]["columns"]
    return out


def _ingest_day(
    context: dg.AssetExecutionContext,
    kind: DropKind,
    day: dt.date,
    model_id: str,
    landing: ObjectStoreResource,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> tuple[pl.DataFrame, dict]:
    spec = settings.registry().model(model_id)
    store = landing.get_store()
    frames: list[pl.DataFrame] = []
    files: list[str] = []
    rejections: list[Rejection] = []
    extra_columns: dict[str, list[str]] = {}  # per file: columns not in the registry, dropped by the reader
    notes: dict[str, str] = {}
    if uses_serving_log(spec, kind):
        got = read_partition(store, settings.registry(), spec, kind, day, dt.datetime.now(dt.timezone.utc))
        frames, files, rejections, notes, listed = got.frames, got.files, got.rejections, got.notes, got.listed
        for r in rejections:
            context.log.warning(f"rejected drop {r.key}: {r.reason}")
        contract_drops = []
    else:
        listed = contract_drops = list(store.list(drop_prefix(kind, model_id, day)))
    for obj in contract_drops:
        try:
            if obj.problem:
                raise UnreadableDrop(obj.problem)
            parse_drop_key(obj.key)
            if obj.size == 0:
                raise UnreadableDrop("empty (0-byte) object")
            with store.local_copy(obj.key) as path:
                frame, report = read_drop_with_report(path, parse_drop_key(obj.key).extension, spec, kind, obj.key)
        except (BadDropKey, UnreadableDrop, UnsafeKeyError) as exc:  # unsafe: e.g. a link swapped after listing
            reason = getattr(exc, "reason", str(exc))
            context.log.warning(f"rejected drop {obj.key}: {reason}")
            rejections.append(Rejection(obj.key, reason, "ingestion", obj.version_token, model_id, day.isoformat()))
            continue
        frames.append(frame)
        files.append(obj.key)
        if report.extra_columns:
            extra_columns[obj.key] = report.extra_columns
    record_rejections(warehouse.get_warehouse(), rejections)
    write_ledger(lake.get_store(), kind, model_id, day, listed)
    df = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=raw_contract_schema(spec, kind))
    with_errors = int(df.select(pl.col("_ingest_errors").list.len().gt(0).sum()).item()) if df.height else 0
    if not files:
        context.log.info(f"no readable {kind} drops for {model_id} on {day}: producing an empty partition")
    return df, {
            "row_count": dg.MetadataValue.int(df.height),
            "files": dg.MetadataValue.int(len(files)),
            "rows_with_coercion_errors": dg.MetadataValue.int(with_errors),
            "rejected_files": dg.MetadataValue.int(len(rejections)),
            "rejections": dg.MetadataValue.md(
                "\n".join(f"- `{r.key}`: {r.reason}" for r in rejections) or "none"
            ),
            "columns": dg.MetadataValue.text(", ".join(df.columns)),
            # Shown, not kept: a misspelt column otherwise vanishes without anyone seeing it.
            "extra_columns": dg.MetadataValue.md(
                "\n".join(f"- `{k}`: {', '.join(cols)}" for k, cols in extra_columns.items()) or "none"
            ),
            **{k: dg.MetadataValue.text(v) for k, v in notes.items()},
        }


@dg.asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    partitions_def=date_model_partitions,
    group_name="ingestion",
    retry_policy=INGEST_RETRY,
    backfill_policy=RANGE_BACKFILL_POLICY,
    kinds={"polars", "parquet"},
    description="Every inference row dropped for one model and day, coerced to the registry's schema. "
    "Values that do not coerce are kept as nulls and listed in `_ingest_errors`, so validation can quarantine them.",
)
def raw_inferences(
    context: dg.AssetExecutionContext,
    landing: ObjectStoreResource,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dg.Output[dict]:
    return _ingest(context, "inferences", landing, lake, warehouse, settings)


@dg.asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    partitions_def=date_model_partitions,
    group_name="ingestion",
    retry_policy=INGEST_RETRY,
    backfill_policy=RANGE_BACKFILL_POLICY,
    kinds={"polars", "parquet"},
    description="Ground-truth labels for one model's predictions of one day (labels arrive later; "
    "`dt=` in the landing key is the prediction day).",
)
def raw_labels(
    context: dg.AssetExecutionContext,
    landing: ObjectStoreResource,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dg.Output[dict]:
    return _ingest(context, "labels", landing, lake, warehouse, settings)
