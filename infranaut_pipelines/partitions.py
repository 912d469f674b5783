"""One partition = one day of one model's traffic.

The model dimension is dynamic: models are added by the landing sensor (or the demo) when a drop
for a registered model first arrives, so adding a model to the registry needs no redeploy.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from typing import TypeVar

import dagster as dg

from infranaut_pipelines.settings import current

MODEL_PARTITIONS_NAME = "models"
T = TypeVar("T")

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


# Many partitions per run: a backfill of one model's days runs as ranges of up to this many days (one run per
# model and range) instead of one run per day. 31 keeps a month in one run while a range's step still ends in
# minutes, so run monitoring and retries keep their grain.
MAX_PARTITIONS_PER_RUN = 31
RANGE_BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_PARTITIONS_PER_RUN)
# Beta in Dagster 1.13 (the `backfill_policy` parameter of every asset decorator) and exactly what we mean: one
# warning per asset at every code-location load would only bury the warnings that matter.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def run_partition_keys(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[dg.MultiPartitionKey]:
    """Every (date, model) partition the step materializes, sorted by model then date; a single-partition
    run is a range of one.

    Read from the run's range tags when it has them: over multi-partitions Dagster 1.13's
    ``context.partition_keys`` / ``partition_key_range`` can disagree with what the run targets
    (dagster-io/dagster issues #28861, #30786), while the range tags are what the run was launched for. The
    range over a MultiPartitionsDefinition is the rectangle of its start and end keys (the dates between
    theirs, times the models between theirs).
    """
    tags = context.run.tags
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if start and end and any(t.startswith("dagster/partition/") for t in tags):
        # A job backfill's range run (the daemon splitting a backfill launched for the job by its
        # BackfillPolicy) also carries its first partition's dimension tags, and Dagster 1.13 then records
        # materializations for that one partition only. Processing the range would write days Dagster never
        # hears of; processing one day would drop the others silently. Neither: say how to launch it.
        raise dg.Failure(
            f"this run targets the range {start}..{end} but Dagster records only its first partition for it "
            "(a job backfill over multi-partitions, dagster-io/dagster#28861): launch the backfill from the "
            "assets (Assets > select > Materialize, an asset backfill) or with `dagster job backfill` (one run "
            "per partition)"
        )
    if start and end:
        raw = date_model_partitions.get_partition_keys_in_range(
            dg.PartitionKeyRange(start, end), dynamic_partitions_store=context.instance
        )
        if not raw:  # e.g. tags written by hand with the models out of the registry's order
            raise dg.Failure(f"the run's partition range {start}..{end} holds no partition (the models of a range "
                             "are ordered as they were added to the `models` partitions, not by name)")
    else:
        raw = [context.partition_key]
    keys = [k if isinstance(k, dg.MultiPartitionKey) else date_model_partitions.get_partition_key_from_str(k)
            for k in raw]
    return sorted(keys, key=lambda k: (k.keys_by_dimension["model"], k.keys_by_dimension["date"]))


def run_partitions(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[tuple[dt.date, str]]:
    """(date, model_id) of every partition of the step (see ``run_partition_keys``)."""
    return [split_key(k) for k in run_partition_keys(context)]


def split_key(key: dg.MultiPartitionKey | str) -> tuple[dt.date, str]:
    if not isinstance(key, dg.MultiPartitionKey):
        key = date_model_partitions.get_partition_key_from_str(key)
    dims = key.keys_by_dimension
    return dt.date.fromisoformat(dims["date"]), dims["model"]


def days_by_model(partitions: list[tuple[dt.date, str]]) -> dict[str, list[dt.date]]:
    """The range's days of each model, in date order (a range is usually one model's days)."""
    out: dict[str, list[dt.date]] = {}
    for day, model_id in partitions:
        out.setdefault(model_id, []).append(day)
    return {m: sorted(days) for m, days in out.items()}


def each_partition(
    context: dg.AssetExecutionContext,
    work: Callable[[dt.date, str], T],
    keep: Callable[[dict[str, T]], None] | None = None,
) -> dict[str, T]:
    """``work(day, model_id)`` for every partition of the step, keyed by partition key.

    A day that raises does not stop the others: they are processed, ``keep`` stores what they produced (their
    lake files, where Dagster would otherwise write nothing for a failed step), and then the step fails naming
    the failed days, so Dagster's retry (or a re-execution) runs the range again. Every write is a per-partition
    replace, so that second pass leaves no duplicate. A range of one re-raises the error itself, as a
    single-partition step always did.
    """
    keys = run_partition_keys(context)
    results: dict[str, T] = {}
    failures: dict[str, BaseException] = {}
    for key in keys:
        day, model_id = split_key(key)
        try:
            results[str(key)] = work(day, model_id)
        except Exception as exc:
            if len(keys) == 1:
                raise
            context.log.error(f"{model_id} {day}: {type(exc).__name__}: {exc}")
            failures[str(key)] = exc
    if failures:
        if keep is not None and results:
            keep(results)
        first = next(iter(failures.values()))
        raise dg.Failure(
            description=f"{len(failures)} of {len(keys)} partitions failed: {', '.join(failures)}; the other "
            f"{len(results)} were written and are replaced, not duplicated, when the range runs again",
            metadata={"failed_partitions": dg.MetadataValue.text(", ".join(failures)),
                      "first_error": dg.MetadataValue.text(f"{type(first).__name__}: {first}")},
        ) from first
    return results


def range_result(results: dict[str, dict], data_version: dg.DataVersion | None = None) -> dg.MaterializeResult:
    """The materialization of a step's partitions: a range of one keeps its metadata as it is; a longer range
    (one materialization event per partition, the same metadata on each) lists every day's scalar values."""
    if len(results) == 1:
        return dg.MaterializeResult(metadata=next(iter(results.values())), data_version=data_version)
    per_day: dict[str, dict] = {}
    for key, metadata in results.items():
        row = {}
        for name, value in metadata.items():
            raw = value.value if isinstance(value, dg.MetadataValue) else value
            if isinstance(raw, str | int | float | bool) and not (isinstance(value, dg.MetadataValue)
                                                                and value.__class__.__name__ == "MarkdownMetadataValue"):
                row[name] = raw
        per_day[key] = row
    return dg.MaterializeResult(metadata={"partitions": dg.MetadataValue.int(len(results)),
                                          "by_partition": dg.MetadataValue.json(per_day)}, data_version=data_version)
