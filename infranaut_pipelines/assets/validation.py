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
from infranaut_pipelines.partitions import date_model_partitions, split_partition_key
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, WarehouseResource
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
)
def validate_inferences(
    context: dg.AssetExecutionContext,
    raw_inferences: pl.DataFrame,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
    notifier: NotifierResource,
):  # type: ignore[no-untyped-def]
    day, model_id = split_partition_key(context)
    registry = settings.registry()
    spec = registry.model(model_id)
    outcome = validate_batch(raw_inferences, spec, day)
    wh = warehouse.get_warehouse()
    checks = dict(outcome.checks)
    for anomaly in anomaly_checks(trailing_history(wh, model_id, day), outcome):
        checks[anomaly.name] = anomaly
    record_validation(wh, model_id, day, outcome)
    wh.replace_partition(
        "inference_log",
        inference_log_frame(outcome.valid, spec, day),
        {"model_id": model_id, "partition_date": day},
    )
    n_raw, n_valid, n_quarantined = raw_inferences.height, outcome.valid.height, outcome.quarantine.height
    yield dg.Output(
        outcome.valid,
        output_name="validated_inferences",
        metadata={
            "row_count": dg.MetadataValue.int(n_valid),
            "raw_rows": dg.MetadataValue.int(n_raw),
            "quarantined_rows": dg.MetadataValue.int(n_quarantined),
            "quality_score": dg.MetadataValue.float(round(outcome.quality_score, 4)),
            "columns": dg.MetadataValue.text(", ".join(outcome.valid.columns)),
        },
    )
    yield dg.Output(
        outcome.quarantine,
        output_name="quarantined_inferences",
        metadata={
            "row_count": dg.MetadataValue.int(n_quarantined),
            "reasons": dg.MetadataValue.md(_reason_table(outcome.quarantine)),
        },
    )
    for check in checks.values():
        yield _check_result(check)
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
)
def validate_labels_asset(
    context: dg.AssetExecutionContext, raw_labels: pl.DataFrame, warehouse: WarehouseResource, settings: InfranautSettings
):  # type: ignore[no-untyped-def]
    day, model_id = split_partition_key(context)
    spec = settings.registry().model(model_id)
    valid, quarantine, metrics = validate_labels(raw_labels, spec)
    ensure_log_tables(warehouse.get_warehouse(), spec)  # labels may come before the first predictions
    warehouse.get_warehouse().replace_partition(
        "label_log", label_log_frame(valid, spec, model_id, day), {"model_id": model_id, "partition_date": day}
    )
    numeric = {k: v for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    yield dg.Output(
        valid,
        output_name="validated_labels",
        metadata={"row_count": dg.MetadataValue.int(valid.height), "raw_rows": raw_labels.height, **numeric},
    )
    yield dg.Output(
        quarantine,
        output_name="quarantined_labels",
        metadata={
            "row_count": dg.MetadataValue.int(quarantine.height),
            "reasons": dg.MetadataValue.md(_reason_table(quarantine)),
        },
    )
