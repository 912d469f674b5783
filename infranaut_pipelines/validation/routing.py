"""Row-level routing in polars: type the raw batch, attach every critical reason to each row, split.

Everything here is vectorised: reasons are built with ``when/then/format`` so a 1M-row batch costs a
few column passes, and string formatting only matters for the (few) failing rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from infranaut_pipelines.registry.schema import ModelSpec
from infranaut_pipelines.validation.rules import SCHEMA_ERRORS_COL, Context, Rule, expected_schema, type_word

INGEST_ERRORS = "_ingest_errors"
REASONS = "quarantine_reasons"
_TRUE = ["true", "t", "1", "yes", "y"]
_FALSE = ["false", "f", "0", "no", "n"]


@dataclass
class Conformed:
    df: pl.DataFrame  # typed columns + SCHEMA_ERRORS_COL (List(Utf8), prefixed "schema: ")
    missing_columns: list[str]
    retyped_columns: dict[str, str]  # column -> raw dtype that had to be cast
    extra_columns: list[str]


def _cast(col: str, raw: pl.DataType, target: pl.DataType) -> pl.Expr:
    x = pl.col(col)
    if isinstance(target, pl.Datetime):
        if isinstance(raw, pl.Datetime):
            x = x.dt.replace_time_zone("UTC") if raw.time_zone is None else x.dt.convert_time_zone("UTC")
            return x.dt.cast_time_unit("us")
        return x.cast(pl.Utf8).str.to_datetime(strict=False, time_zone="UTC", time_unit="us")
    if target == pl.Boolean and raw != pl.Boolean:
        s = x.cast(pl.Utf8).str.to_lowercase().str.strip_chars()
        return pl.when(s.is_in(_TRUE)).then(True).when(s.is_in(_FALSE)).then(False).otherwise(None)
    return x.cast(target, strict=False)


def conform(raw: pl.DataFrame, spec: ModelSpec) -> Conformed:
    """Cast every expected column to its registry type; a value lost in the cast is a schema error."""
    want = expected_schema(spec)
    missing = [c for c in want if c not in raw.columns]
    retyped = {c: str(raw.schema[c]) for c in want if c in raw.columns and raw.schema[c] != want[c]}
    extra = [c for c in raw.columns if c not in want and not c.startswith("_")]

    errors: list[pl.Expr] = []
    casts: list[pl.Expr] = []
    for col, raw_dtype_s in retyped.items():
        raw_dtype = raw.schema[col]
        casted = _cast(col, raw_dtype, want[col])
        casts.append(casted.alias(col))
        lost = pl.col(col).is_not_null() & casted.is_null()
        errors.append(
            pl.when(lost).then(
                pl.format("schema: {}: '{}' is not {}", pl.lit(col), pl.col(col).cast(pl.Utf8).str.slice(0, 80),
                          pl.lit(type_word(spec, col)))
            )
        )
    if INGEST_ERRORS in raw.columns:
        ingest = pl.col(INGEST_ERRORS).list.eval("schema: " + pl.element())
    else:
        ingest = pl.lit([], dtype=pl.List(pl.Utf8))
    missing_msgs = [pl.lit(f"schema: missing column {c}") for c in missing]
    schema_errors = pl.concat_list([ingest.fill_null([]), *errors, *missing_msgs]).list.drop_nulls()

    df = raw.with_columns(schema_errors.alias(SCHEMA_ERRORS_COL))
    df = df.with_columns(casts + [pl.lit(None, dtype=want[c]).alias(c) for c in missing])
    return Conformed(df, missing, retyped, extra)


@dataclass
class Routed:
    df: pl.DataFrame  # conformed + REASONS (critical reasons) + one column per rule "_r{i}"
    rule_columns: dict[str, Rule]


def route(conformed: pl.DataFrame, rules: list[Rule], partition_date: dt.date) -> Routed:
    ctx = Context(partition_date)
    row_rules = [r for r in rules if r.reason is not None]
    cols = {f"_r{i}": r for i, r in enumerate(row_rules)}
    df = conformed.with_columns([r.reason(ctx).alias(name) for name, r in cols.items()])  # type: ignore[misc]
    critical = [pl.col(n) for n, r in cols.items() if r.severity == "critical"]
    df = df.with_columns(
        pl.concat_list([pl.col(SCHEMA_ERRORS_COL), *critical]).list.drop_nulls().alias(REASONS)
    )
    return Routed(df, cols)


def violation_counts(routed: Routed) -> dict[str, dict[str, int]]:
    """Per check: rows with a critical violation, rows with a warning-only violation."""
    by_check: dict[str, dict[str, list[str]]] = {}
    for name, r in routed.rule_columns.items():
        by_check.setdefault(r.check, {"critical": [], "warning": []})[r.severity].append(name)
    exprs = [(pl.col(SCHEMA_ERRORS_COL).list.len() > 0).sum().alias("schema_conforms|critical")]
    for check, sev in by_check.items():
        for level, names in sev.items():
            if names:
                any_ = pl.any_horizontal([pl.col(n).is_not_null() for n in names])
                if check == "schema_conforms" and level == "critical":
                    any_ = any_ | (pl.col(SCHEMA_ERRORS_COL).list.len() > 0)
                exprs.append(any_.sum().alias(f"{check}|{level}"))
    row = routed.df.select(exprs).row(0, named=True)
    out: dict[str, dict[str, int]] = {}
    for k, v in row.items():
        check, level = k.split("|")
        out.setdefault(check, {"critical": 0, "warning": 0})[level] = int(v)
    return out
