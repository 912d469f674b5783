"""The rules a batch must satisfy, derived once from the registry entry.

Each rule carries both forms of the same assertion: a polars expression that yields the row's
reason (or null) for routing, and a Great Expectations expectation (type + kwargs) for reporting.
Keeping them side by side is what keeps the quarantine and the GX results telling the same story.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from infranaut_pipelines.registry.schema import ModelSpec, RuleSpec

TS_MIN_PARAM = "partition_start"
TS_MAX_PARAM = "partition_end"
SCHEMA_ERRORS_COL = "_schema_errors"  # derived: "; "-joined coercion problems, null when none

_TYPE_OF = {"float": pl.Float64, "int": pl.Int64, "category": pl.Utf8, "bool": pl.Boolean}
_TYPE_WORD = {"float": "a float", "int": "an int", "category": "a string", "bool": "a bool"}


@dataclass(frozen=True)
class Context:
    """What a rule's polars expression may depend on besides the row."""

    partition_date: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.partition_date, dt.time(), tzinfo=dt.timezone.utc)

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(days=1)


ReasonFn = Callable[[Context], pl.Expr]


@dataclass(frozen=True)
class Rule:
    check: str
    name: str
    severity: Literal["critical", "warning"]
    column: str | None
    expectation: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    # Row-level rules route rows; None means dataset-level (e.g. a mean): pass/fail from GX only.
    reason: ReasonFn | None = None
    only_ok_rows: bool = False  # GX row_condition status == 'ok' (error rows legitimately lack a prediction)


def expected_schema(spec: ModelSpec) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {
        "prediction_id": pl.Utf8,
        "model_id": pl.Utf8,
        "model_version": pl.Utf8,
        "timestamp": pl.Datetime("us", "UTC"),
        "latency_ms": pl.Float64,
        "status": pl.Utf8,
    }
    for f in spec.features:
        schema[f.name] = _TYPE_OF[f.type]
    schema[spec.prediction.column] = pl.Utf8 if spec.task == "multiclass_classification" else pl.Float64
    return schema


def type_word(spec: ModelSpec, column: str) -> str:
    for f in spec.features:
        if f.name == column:
            return _TYPE_WORD[f.type]
    dtype = expected_schema(spec)[column]
    return {pl.Float64: "a float", pl.Utf8: "a string"}.get(dtype, "a UTC timestamp")  # type: ignore[call-overload]


def sensitive_columns(spec: ModelSpec) -> set[str]:
    return {f.name for f in spec.features if f.sensitive}


def _val(col: str, sensitive: set[str]) -> pl.Expr:
    return pl.lit("***") if col in sensitive else pl.col(col).cast(pl.Utf8)


def _num(x: float) -> str:
    return f"{x:g}"


def _when(cond: pl.Expr, *parts: str | pl.Expr) -> pl.Expr:
    template = "".join("{}" if isinstance(p, pl.Expr) else p.replace("{", "(").replace("}", ")") for p in parts)
    return pl.when(cond).then(pl.format(template, *[p for p in parts if isinstance(p, pl.Expr)]))


def _range_rules(check: str, col: str, lo: float | None, hi: float | None, sens: set[str]) -> list[Rule]:
    rules = []
    if lo is not None:
        rules.append(
            Rule(check, f"{col}.min", "critical", col, "expect_column_values_to_be_between", {"min_value": lo},
                 lambda c, col=col, lo=lo: _when(pl.col(col) < lo, f"{col}: ", _val(col, sens), f" below min {_num(lo)}"))
        )
    if hi is not None:
        rules.append(
            Rule(check, f"{col}.max", "critical", col, "expect_column_values_to_be_between", {"max_value": hi},
                 lambda c, col=col, hi=hi: _when(pl.col(col) > hi, f"{col}: ", _val(col, sens), f" above max {_num(hi)}"))
        )
    return rules


def _set_rule(col: str, values: list[str], severity: Literal["critical", "warning"], sens: set[str]) -> Rule:
    word = "not in allowed values" if severity == "critical" else "new value"
    return Rule(
        "allowed_categories", f"{col}.values", severity, col, "expect_column_values_to_be_in_set",
        {"value_set": list(values)},
        lambda c: _when(pl.col(col).is_not_null() & ~pl.col(col).is_in(list(values)), f"{col}: '", _val(col, sens), f"' {word}"),
    )


def _not_null_rule(col: str, only_ok: bool = False) -> Rule:
    cond_ok = pl.col("status") == "ok"
    return Rule(
        "required_not_null", f"{col}.not_null", "critical", col, "expect_column_values_to_not_be_null", {},
        (lambda c: _when(pl.col(col).is_null() & cond_ok, f"{col}: null while status is 'ok'"))
        if only_ok else (lambda c: _when(pl.col(col).is_null(), f"{col}: null")),
        only_ok_rows=only_ok,
    )


def builtin_rules(spec: ModelSpec) -> list[Rule]:
    sens = sensitive_columns(spec)
    pred = spec.prediction.column
    rules: list[Rule] = [
        Rule("schema_conforms", "schema.coercion", "critical", SCHEMA_ERRORS_COL, "expect_column_values_to_be_null"),
    ]
    for col in ("prediction_id", "model_id", "model_version", "timestamp", "status"):
        rules.append(_not_null_rule(col))
    rules += [_not_null_rule(f.name) for f in spec.features if not f.nullable]
    rules.append(_not_null_rule(pred, only_ok=True))

    rules += _range_rules("values_in_range", "latency_ms", 0.0, None, sens)
    for f in spec.features:
        if f.is_numeric:
            rules += _range_rules("values_in_range", f.name, f.min, f.max, sens)
    if spec.task == "binary_classification":
        rules += _range_rules("values_in_range", pred, 0.0, 1.0, sens)
    elif spec.task == "regression":
        rules += _range_rules("values_in_range", pred, spec.prediction.min, spec.prediction.max, sens)

    rules.append(_set_rule("status", ["ok", "error"], "critical", sens))
    rules.append(_set_rule("model_id", [spec.id], "critical", sens))
    for f in spec.features:
        if f.type == "category" and f.values is not None:
            rules.append(_set_rule(f.name, f.values, "warning" if f.allow_new_values else "critical", sens))
    if spec.task == "multiclass_classification":
        rules.append(_set_rule(pred, list(spec.prediction.classes or []), "critical", sens))

    rules.append(
        Rule("unique_prediction_id", "prediction_id.unique", "critical", "prediction_id", "expect_column_values_to_be_unique",
             reason=lambda c: _when(pl.col("prediction_id").is_not_null() & ~pl.col("prediction_id").is_first_distinct(),
                                    "prediction_id: duplicate"))
    )
    rules.append(
        Rule("timestamps_in_partition_day", "timestamp.in_day", "critical", "timestamp", "expect_column_values_to_be_between",
             {"min_value": {"$PARAMETER": TS_MIN_PARAM}, "max_value": {"$PARAMETER": TS_MAX_PARAM}, "strict_max": True},
             lambda c: _when((pl.col("timestamp") < c.start) | (pl.col("timestamp") >= c.end),
                             f"timestamp: outside {c.partition_date.isoformat()} UTC (", pl.col("timestamp").cast(pl.Utf8), ")"))
    )
    rules += [custom_rule(spec, r) for r in spec.validation.rules]
    return rules


# Custom map expectations we can also evaluate per row in polars (so critical ones route rows).
def _custom_reason(r: RuleSpec, sens: set[str]) -> ReasonFn | None:
    col, kw, e = r.column, r.kwargs, r.expectation
    if col is None:
        return None
    v = _val(col, sens)
    head = f"{col}: rule {r.name}: "
    x = pl.col(col)
    if e == "expect_column_values_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        smin, smax = bool(kw.get("strict_min")), bool(kw.get("strict_max"))
        bad = pl.lit(False)
        if lo is not None:
            bad = bad | ((x <= lo) if smin else (x < lo))
        if hi is not None:
            bad = bad | ((x >= hi) if smax else (x > hi))
        return lambda c: _when(bad, head, v, f" outside [{lo}, {hi}]")
    if e in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        values = list(kw.get("value_set") or [])  # type: ignore[call-overload]
        negate = "_not_be_" in e
        inside = x.is_in(values)
        bad = x.is_not_null() & (inside if negate else ~inside)
        return lambda c: _when(bad, head, "'", v, "' " + ("in forbidden set" if negate else "not in set"))
    if e == "expect_column_values_to_not_be_null":
        return lambda c: _when(x.is_null(), head, "null")
    if e == "expect_column_values_to_be_null":
        return lambda c: _when(x.is_not_null(), head, "not null")
    if e in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        m = x.cast(pl.Utf8).str.contains(str(kw.get("regex", "")))
        bad = x.is_not_null() & (~m if "not" not in e else m)
        return lambda c: _when(bad, head, "'", v, "' " + ("does not match" if "not" not in e else "matches") + " pattern")
    if e == "expect_column_value_lengths_to_be_between":
        n = x.cast(pl.Utf8).str.len_chars()
        lo, hi = kw.get("min_value"), kw.get("max_value")
        bad = pl.lit(False)
        if lo is not None:
            bad = bad | (n < lo)
        if hi is not None:
            bad = bad | (n > hi)
        return lambda c: _when(x.is_not_null() & bad, head, "length of '", v, f"' outside [{lo}, {hi}]")
    return None


def custom_rule(spec: ModelSpec, r: RuleSpec) -> Rule:
    return Rule("custom_rules", r.name, r.severity, r.column, r.expectation, dict(r.kwargs),
                _custom_reason(r, sensitive_columns(spec)))
