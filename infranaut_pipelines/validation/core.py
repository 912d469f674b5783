"""validate_batch: type the raw batch, route rows, run the GX suite, and judge each check."""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

import polars as pl

from infranaut_pipelines.registry.schema import ModelSpec
from infranaut_pipelines.validation.display import display_values, escape_display
from infranaut_pipelines.validation.evidence import (
    EVIDENCE_ROWS,
    Evidence,
    gather_evidence,
    gx_full_max_rows,
    is_countable,
)
from infranaut_pipelines.validation.expectations import Suite, build_suite, run_suite, to_gx_frame
from infranaut_pipelines.validation.outcome import CHECKS, ROW_CHECKS, CheckOutcome, ValidationOutcome
from infranaut_pipelines.validation.quality import quality_score
from infranaut_pipelines.validation.routing import (
    INGEST_ERRORS,
    REASONS,
    SCHEMA_BAD,
    Conformed,
    conform,
    route,
    violation_counts,
)
from infranaut_pipelines.validation.rules import Context, Rule, sensitive_columns

KEEP_INTERNAL = ("_source_file", "_row_number")


def _json_num(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _expectation_entry(res: Any, rule: Rule, sensitive: set[str]) -> dict[str, Any]:
    r = res.result or {}
    exc = res.exception_info or {}
    entry: dict[str, Any] = {
        "expectation_type": res.expectation_config.type,
        "rule": rule.name,
        "column": rule.column,
        "severity": rule.severity,
        "success": bool(res.success),
        "unexpected_count": r.get("unexpected_count"),
        "unexpected_percent": _json_num(r.get("unexpected_percent")),
        "partial_unexpected": display_values(r.get("partial_unexpected_list") or [], rule.column in sensitive),
    }
    if "observed_value" in r:
        obs = r["observed_value"]
        entry["observed_value"] = "***" if rule.column in sensitive else escape_display(obs)
    if exc.get("raised_exception"):
        entry["exception"] = escape_display(exc.get("exception_message"), max_len=300)
    return entry


def _with_evidence(entry: dict[str, Any], rule: Rule, ev: Evidence, rows: int) -> dict[str, Any]:
    """Say which rows GX evaluated and where the counts come from (see evidence.py).

    For rules routing evaluates per row, GX's count must equal polars' count on the same rows; on a
    sample, the reported counts and verdict are polars' exact figures over all rows."""
    if not is_countable(rule):
        return {**entry, "gx_rows_evaluated": rows, "counts_from": "great_expectations, all rows"}
    exact, seen = ev.exact[rule.name], ev.evaluated[rule.name]
    gx_count = entry["unexpected_count"]
    out = {**entry, "gx_unexpected_count": gx_count, "gx_rows_evaluated": rows if ev.full else ev.rows_evaluated,
           "gx_agrees_with_polars": gx_count == seen.unexpected and "exception" not in entry}
    if ev.full:
        out["counts_from"] = "great_expectations, all rows"
        return out
    etype = entry["expectation_type"]
    out["unexpected_count"] = exact.unexpected
    out["unexpected_percent"] = _json_num(exact.percent(etype))
    if "exception" not in entry:
        out["success"] = exact.success(etype, float(rule.kwargs.get("mostly", 1.0)))
    out["counts_from"] = "polars, all rows"
    return out


def _evidence_meta(entries: list[dict[str, Any]], ev: Evidence, rows: int) -> dict[str, Any]:
    if not entries:
        return {}
    meta: dict[str, Any] = {"gx_rows_evaluated": min(e["gx_rows_evaluated"] for e in entries)}
    if meta["gx_rows_evaluated"] < rows:
        meta["gx_evidence"] = (
            f"GX ran on a sample of {meta['gx_rows_evaluated']:,} rows (one row in {ev.stride}, plus the first "
            f"{EVIDENCE_ROWS} violating rows of each rule); unexpected counts are exact, from polars over all {rows:,} rows"
        )
    else:
        meta["gx_evidence"] = "GX ran on all rows"
    off = [e["rule"] for e in entries if e.get("gx_agrees_with_polars") is False]
    if off:
        meta["gx_disagrees_with_routing"] = escape_display(", ".join(off), max_len=500)
    return meta


def _quarantine_frame(raw: pl.DataFrame, mask: pl.Series, reasons: pl.Series) -> pl.DataFrame:
    """Original values as text, so a value that failed to parse is kept exactly as it arrived."""
    bad = raw.filter(mask)
    cols = []
    for c, t in bad.schema.items():
        if c == INGEST_ERRORS or isinstance(t, (pl.List, pl.Struct, pl.Array)):
            continue
        cols.append(pl.col(c) if c == "_row_number" else pl.col(c).cast(pl.Utf8))
    now = dt.datetime.now(dt.timezone.utc)
    return bad.select(cols).with_columns(
        reasons.alias(REASONS),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("quarantined_at"),
    )


def _judge(
    check: str,
    rows: int,
    counts: dict[str, int],
    entries: list[dict[str, Any]],
    dataset_rules: set[str],
    threshold: float,
    extra_meta: dict[str, Any],
) -> CheckOutcome:
    blocking, description = CHECKS[check]
    crit, warn = counts.get("critical", 0), counts.get("warning", 0)
    share = crit / rows if rows else 0.0
    failed_ds = [e for e in entries if e["rule"] in dataset_rules and not e["success"]]
    ds_crit = [e["rule"] for e in failed_ds if e["severity"] == "critical"]
    ds_warn = [e["rule"] for e in failed_ds if e["severity"] == "warning"]
    error = share > threshold or bool(ds_crit)
    warning = warn > 0 or bool(ds_warn)
    meta: dict[str, Any] = {
        "rows": rows,
        "violating_rows": crit,
        "violating_share": round(share, 6),
        "max_quarantine_share": threshold,
        "warned_rows": warn,
    }
    if ds_crit or ds_warn:
        meta["failed_dataset_rules"] = escape_display(", ".join(ds_crit + ds_warn))
    failing = [e["rule"] for e in entries if not e["success"]]
    if failing:
        meta["failing_expectations"] = escape_display(", ".join(failing), max_len=500)
    meta.update(extra_meta)
    return CheckOutcome(
        name=check,
        passed=not (error or warning),
        blocking=blocking,
        severity="ERROR" if error or not warning else "WARN",
        description=description,
        metadata=meta,
        expectations=entries,
    )


def _metrics(conformed: Conformed, rows: int, n_valid: int, n_quar: int, spec: ModelSpec) -> dict[str, Any]:
    df = conformed.df
    cols = [c for c in df.columns if not c.startswith("_")]
    nulls = df.select([pl.col(c).null_count().alias(c) for c in cols]).row(0, named=True) if rows else {}
    errors = int((df["status"] == "error").sum()) if rows and "status" in df.columns else 0
    return {
        "rows_raw": rows,
        "rows_valid": n_valid,
        "rows_quarantined": n_quar,
        "quarantine_share": round(n_quar / rows, 6) if rows else 0.0,
        "error_rows": errors,
        "error_rate": round(errors / rows, 6) if rows else 0.0,
        "null_rates": {c: round(nulls.get(c, 0) / rows, 6) if rows else 0.0 for c in cols},
        "missing_columns": conformed.missing_columns,
    }


def validate_batch(raw: pl.DataFrame, spec: ModelSpec, partition_date: dt.date) -> ValidationOutcome:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    suite: Suite = build_suite(spec)
    rules = list(suite.rules.values())
    conformed = conform(raw, spec)
    routed = route(conformed, rules, partition_date)
    counts = violation_counts(routed)
    mask = routed.mask
    internal = [INGEST_ERRORS, SCHEMA_BAD, *conformed.schema_reason_columns, *routed.rule_columns]
    valid = routed.df.drop([c for c in internal if c in routed.df.columns]).filter(~mask)  # drop first: fewer copies
    quarantine = _quarantine_frame(raw, mask, routed.reasons)
    timings["routing_s"] = time.perf_counter() - t0

    gx_df = conformed.df.with_columns(routed.schema_text)
    ctx = Context(partition_date)
    t1 = time.perf_counter()
    need = list(dict.fromkeys([*suite.columns, "status", "prediction_id"]))
    ev = gather_evidence(gx_df.select(need), routed, rules, gx_full_max_rows())
    timings["evidence_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    if ev.full:
        frames = [(to_gx_frame(gx_df, suite.columns), "all")]
    else:  # row rules on the sample, dataset-level rules on every row of their columns
        frames = [(to_gx_frame(gx_df.select(suite.row_columns).gather(ev.rows), suite.row_columns), "row")]
        if suite.dataset_suite is not None:
            frames.append((to_gx_frame(gx_df, suite.dataset_columns), "dataset"))
    timings["to_pandas_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    results = [res for frame, part in frames for res in run_suite(suite, frame, ctx, part)]
    timings["gx_s"] = time.perf_counter() - t2

    sensitive = sensitive_columns(spec)
    order = {name: i for i, name in enumerate(suite.rules)}
    results.sort(key=lambda res: order[res.expectation_config.meta["rule"]])
    entries_by_check: dict[str, list[dict[str, Any]]] = {c: [] for c in ROW_CHECKS}
    for res in results:
        rule = suite.rules[res.expectation_config.meta["rule"]]
        entry = _expectation_entry(res, rule, sensitive)
        entries_by_check[rule.check].append(_with_evidence(entry, rule, ev, raw.height))
    dataset_rules = {r.name for r in rules if r.reason is None and r.check != "schema_conforms"}

    rows = raw.height
    threshold = spec.validation.max_quarantine_share
    schema_meta: dict[str, Any] = {
        "missing_columns": escape_display(", ".join(conformed.missing_columns)),
        "retyped_columns": escape_display(", ".join(f"{c} ({t})" for c, t in conformed.retyped_columns.items())),
        "extra_columns": escape_display(", ".join(conformed.extra_columns)),
    }
    checks: dict[str, CheckOutcome] = {}
    for check in ROW_CHECKS:
        checks[check] = _judge(
            check, rows, counts.get(check, {}), entries_by_check[check], dataset_rules, threshold,
            {**(schema_meta if check == "schema_conforms" else {}), **_evidence_meta(entries_by_check[check], ev, rows)},
        )
    if conformed.missing_columns:  # a missing column is a broken drop, whatever the threshold
        c = checks["schema_conforms"]
        checks["schema_conforms"] = CheckOutcome(c.name, False, c.blocking, "ERROR", c.description, c.metadata, c.expectations)

    accounted = valid.height + quarantine.height == rows
    blocking, description = CHECKS["rows_accounted_for"]
    checks["rows_accounted_for"] = CheckOutcome(
        "rows_accounted_for", accounted, blocking, "ERROR", description,
        {"rows_raw": rows, "rows_valid": valid.height, "rows_quarantined": quarantine.height},
    )

    warn_cols = [pl.col(n).is_not_null() for n, r in routed.rule_columns.items() if r.severity == "warning"]
    warned = int(
        routed.df.with_columns(mask).select((pl.any_horizontal(warn_cols) & ~pl.col("mask")).sum()).item()
    ) if rows and warn_cols else 0
    failed_ds = [e for es in entries_by_check.values() for e in es if e["rule"] in dataset_rules and not e["success"]]
    score = quality_score(
        rows, quarantine.height, warned,
        sum(1 for e in failed_ds if e["severity"] == "critical"),
        sum(1 for e in failed_ds if e["severity"] == "warning"),
    )
    metrics = _metrics(conformed, rows, valid.height, quarantine.height, spec)
    metrics["warned_rows"] = warned
    metrics["quality_score"] = score
    metrics["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    metrics["reason_counts"] = _reason_counts(routed.reasons)
    metrics["gx"] = {
        "mode": "full" if ev.full else "sampled",
        "rows_evaluated": rows if ev.full else ev.rows_evaluated,
        "full_max_rows": gx_full_max_rows(),
        "sample_stride": ev.stride,
        "disagreements": [e["rule"] for es in entries_by_check.values() for e in es if e.get("gx_agrees_with_polars") is False],
    }
    return ValidationOutcome(spec.id, partition_date, valid, quarantine, checks, score, metrics)


def _reason_counts(reasons: pl.Series, top: int = 20) -> dict[str, int]:
    """Reasons grouped with their values stripped, most frequent first."""
    r = reasons.explode().drop_nulls().to_frame(REASONS)
    if r.height == 0:
        return {}
    key = r[REASONS].str.replace_all(r"'[^']*'|\([^)]*\)|: -?[\d.][\d.e+\-]*", "…")
    vc = key.value_counts(sort=True).head(top)
    return {escape_display(k): int(v) for k, v in vc.iter_rows()}
