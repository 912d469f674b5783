"""Validation: split each raw partition into validated rows and a quarantine, and report the checks.

The checks are declared statically (the same names for every model) so the Dagster UI can show their
history across partitions; what each check tests comes from the model's registry entry. Blocking checks
stop downstream assets in the same run when a drop is broken, while a handful of bad rows is merely
quarantined.
"""


import datetime as dt
import html

import dagster as dg
import polars as pl

from infranaut_pipelines.alerting import Signals
from infranaut_pipelines.escaping import markdown as escape_md
from infranaut_pipelines.partitions import RANGE_BACKFILL_POLICY, date_model_partitions, each_partition, partition_key
from infranaut_pipelines.resources.io_manager import lake_key, write_frame
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.validation import (
    CHECKS,
    CheckOutcome,
    anomaly_checks,
    record_validation,
    trailing_history,
    validate_batch,
    validate_labels,
)
from infranaut_pipelines.warehouse.inference_log import (
    ensure_log_tables,
    inference_log_frame,
    label_log_frame,
)

VALIDATED = dg.AssetKey("validated_inferences")


def _check_result(check: CheckOutcome) -> dg.AssetCheckResult:
    metadata: dict[str, dg.RawMetadataValue] = dict(check.metadata)
    if check.expectations:
        metadata["expectations"] = dg.MetadataValue.json(check.expectations)
    return dg.AssetCheckResult(
        asset_key=VALIDATED,
        check_name=check.name,
        passed=check.passed,
        severity=dg.AssetCheckSeverity.ERROR if check.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=check.description,
        metadata=metadata,
    )


def _reason_table(quarantine: pl.DataFrame) -> str:
    """Markdown count of quarantine reasons by rule/column (the text before the first ':')."""
    if quarantine.height == 0:
        return "no quarantined rows"
    counts = (
        quarantine.select(pl.col("quarantine_reasons").explode().str.split(":").list.first().alias("reason"))
        .group_by("reason")
        .len()
        .sort(["len", "reason"], descending=[True, False])
    )
    rows = "\n".join(f"| {escape_md(str(r))} | {n} |" for r, n in counts.iter_rows())
    return "| rule / column | rows |\n|---|---|\n" + rows


def check_summary(check: CheckOutcome) -> str:
    """One line for Slack: what the check tests, how many rows failed, and a few (masked) examples.

    Examples arrive HTML-escaped for the UI; they are unescaped here because the Slack renderer escapes
    for Slack itself (same characters), and escaping twice would show `&amp;lt;` to readers."""
    parts = [check.description]
    m = check.metadata
    if "violating_rows" in m and "rows" in m:
        parts.append(f"{m['violating_rows']} of {m['rows']} rows violate it")
    for e in check.expectations[:3]:
        if e.get("success") is False:
            examples = ", ".join(html.unescape(str(v)) for v in (e.get("partial_unexpected") or [])[:3])
            where = e.get("column") or e.get("rule")
            parts.append(f"{where}: {e.get('unexpected_count')} unexpected" + (f" (e.g. {examples})" if examples else ""))
    return "; ".join(str(p) for p in parts)


@dg.multi_asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    outs={
        "validated_inferences": dg.AssetOut(
            group_name="validation",
            kinds={"polars", "parquet"},
            description="Rows that pass every critical rule; also loaded into the warehouse's `inference_log`.",
        ),
        "quarantined_inferences": dg.AssetOut(
            group_name="validation",
            kinds={"polars", "parquet"},
            description="Rows that failed a critical rule, each with all its reasons.",
        ),
    },
    partitions_def=date_model_partitions,
    check_specs=[
        # Partitioned like the asset, so the UI keeps each (date, model)'s result rather than only the latest.
        dg.AssetCheckSpec(
            name, asset=VALIDATED, blocking=blocking, description=description, partitions_def=date_model_partitions
        )
        for name, (blocking, description) in CHECKS.items()
    ],
    can_subset=False,
    backfill_policy=RANGE_BACKFILL_POLICY,
)
def validate_inferences(
    context: dg.AssetExecutionContext,
    raw_inferences: dict,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
    notifier: NotifierResource,
):  # type: ignore[no-untyped-def]
    registry = settings.registry()
    wh = warehouse.get_warehouse()

    def one_day(day: dt.date, model_id: str) -> tuple[pl.DataFrame, dict]:
        raw = raw_inferences[str(partition_key(day, model_id))]
        spec = registry.model(model_id)
        outcome = validate_batch(raw, spec, day)
        checks = dict(outcome.checks)
        for anomaly in anomaly_checks(trailing_history(wh, model_id, day), outcome):
            checks[anomaly.name] = anomaly
        record_validation(wh, model_id, day, outcome)
        wh.replace_partition(
            "inference_log",
            inference_log_frame(outcome.valid, spec, day),
            {"model_id": model_id, "partition_date": day},
        )
        failed = [c for c in checks.values() if not c.passed]
        if failed:
            # Post now, through the alert outbox: a failed blocking check skips `alerts` in this run, and the
            # outbox keeps the message if Slack is down.
            signals = Signals(
                model_id=model_id,
                partition_date=day,
                now=dt.datetime.now(dt.timezone.utc),
                failed_checks=[
                    {"name": c.name, "severity": c.severity, "description": check_summary(c)} for c in failed
                ],
                quality_score=outcome.quality_score,
                run_url=settings.run_url(context.run.run_id),
            )
            notifier.record_and_deliver(wh, registry, signals, context.log)
        return raw, {"outcome": outcome, "checks": checks}

    def keep(done: dict) -> None:
        _keep(lake, "validated_inferences", {k: v[1]["outcome"].valid for k, v in done.items()})
        _keep(lake, "quarantined_inferences", {k: v[1]["outcome"].quarantine for k, v in done.items()})

    done = each_partition(context, one_day, keep)
    outcomes = {k: v[1]["outcome"] for k, v in done.items()}
    n_raw = sum(raw.height for raw, _ in done.values())
    n_valid = sum(o.valid.height for o in outcomes.values())
    n_quarantined = sum(o.quarantine.height for o in outcomes.values())
    quality = [o.quality_score for o in outcomes.values()]
    first = next(iter(outcomes.values()))
    yield dg.Output(
        {k: o.valid for k, o in outcomes.items()},
        output_name="validated_inferences",
        metadata={
            "row_count": dg.MetadataValue.int(n_valid),
            "raw_rows": dg.MetadataValue.int(n_raw),
            "quarantined_rows": dg.MetadataValue.int(n_quarantined),
            # A range shows its worst day: the one to look at.
            "quality_score": dg.MetadataValue.float(round(min(quality), 4)),
            "columns": dg.MetadataValue.text(", ".join(first.valid.columns)),
            **({"partitions": dg.MetadataValue.int(len(outcomes))} if len(outcomes) > 1 else {}),
        },
    )
    quarantine = pl.concat([o.quarantine for o in outcomes.values()], how="vertical_relaxed")
    yield dg.Output(
        {k: o.quarantine for k, o in outcomes.items()},
        output_name="quarantined_inferences",
        metadata={
            "row_count": dg.MetadataValue.int(n_quarantined),
            "reasons": dg.MetadataValue.md(_reason_table(quarantine)),
        },
    )
    yield from _range_check_results(context, {k: v[1]["checks"] for k, v in done.items()})


def _range_check_results(context: dg.AssetExecutionContext, checks_by_key: dict[str, dict[str, CheckOutcome]]):  # type: ignore[no-untyped-def]
    """One check result per check and partition.

    A single-partition step yields them as AssetCheckResults (Dagster files them under the partition). A range
    step logs each day's evaluation under its partition, so the UI shows every day's result, then yields one
    result per check for the range (passed only if every day passed): that one is what a blocking check
    acts on, so a broken day stops the range's downstream steps, as it stops a single day's."""
    if len(checks_by_key) == 1:
        for check in next(iter(checks_by_key.values())).values():
            yield _check_result(check)
        return
    names = list(next(iter(checks_by_key.values())))
    for key, checks in checks_by_key.items():
        for check in checks.values():
            r = _check_result(check)
            context.log_event(dg.AssetCheckEvaluation(
                asset_key=VALIDATED, check_name=check.name, passed=check.passed, partition=key,
                metadata=r.metadata, severity=r.severity, description=r.description,
            ))
    for name in names:
        failed = [k for k, checks in checks_by_key.items() if name in checks and not checks[name].passed]
        some = next(checks[name] for checks in checks_by_key.values() if name in checks)
        yield dg.AssetCheckResult(
            asset_key=VALIDATED, check_name=name, passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR if some.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
            description=some.description,
            metadata={"partitions": len(checks_by_key),
                      "failed_partitions": dg.MetadataValue.text(", ".join(failed) or "none")},
        )


def _keep(lake: ObjectStoreResource, asset: str, frames: dict[str, pl.DataFrame]) -> None:
    """Write the frames of the days that succeeded when another day of the range failed (see each_partition)."""
    for part, df in frames.items():
        write_frame(lake, lake_key(asset, date_model_partitions.get_partition_key_from_str(part)), df)


@dg.multi_asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    outs={
        "validated_labels": dg.AssetOut(
            group_name="validation",
            kinds={"polars", "parquet"},
            description="Labels of one model and prediction day: typed, deduplicated (latest label wins); "
            "also loaded into the warehouse's `label_log`.",
        ),
        "quarantined_labels": dg.AssetOut(
            group_name="validation", kinds={"polars", "parquet"}, description="Label rows that failed validation."
        ),
    },
    partitions_def=date_model_partitions,
    can_subset=False,
    backfill_policy=RANGE_BACKFILL_POLICY,
)
def validate_labels_asset(
    context: dg.AssetExecutionContext,
    raw_labels: dict,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
):  # type: ignore[no-untyped-def]
    registry = settings.registry()
    wh = warehouse.get_warehouse()

    def one_day(day: dt.date, model_id: str):  # type: ignore[no-untyped-def]
        raw = raw_labels[str(partition_key(day, model_id))]
        spec = registry.model(model_id)
        valid, quarantine, metrics = validate_labels(raw, spec)
        ensure_log_tables(wh, spec)  # a warehouse's first drop can be labels: dbt reads both logs
        wh.replace_partition(
            "label_log", label_log_frame(valid, spec, model_id, day), {"model_id": model_id, "partition_date": day}
        )
        return raw, valid, quarantine, metrics

    def keep(done: dict) -> None:
        _keep(lake, "validated_labels", {k: v[1] for k, v in done.items()})
        _keep(lake, "quarantined_labels", {k: v[2] for k, v in done.items()})

    done = each_partition(context, one_day, keep)
    numeric: dict[str, float] = {}
    for _, _, _, metrics in done.values():
        for k, v in metrics.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                numeric[k] = numeric.get(k, 0) + v if len(done) > 1 else v
    if len(done) > 1:  # sums of counts over the range; a rate summed over days means nothing
        numeric = {k: v for k, v in numeric.items() if isinstance(v, int)}
    yield dg.Output(
        {k: v[1] for k, v in done.items()},
        output_name="validated_labels",
        metadata={"row_count": dg.MetadataValue.int(sum(v[1].height for v in done.values())),
                  "raw_rows": sum(v[0].height for v in done.values()), **numeric},
    )
    quarantine = pl.concat([v[2] for v in done.values()], how="vertical_relaxed")
    yield dg.Output(
        {k: v[2] for k, v in done.items()},
        output_name="quarantined_labels",
        metadata={
            "row_count": dg.MetadataValue.int(quarantine.height),
            "reasons": dg.MetadataValue.md(_reason_table(quarantine)),
        },
    )
