"""Which rows Great Expectations evaluates, and the exact per-rule counts polars contributes.

GX costs ~20 ms of fixed overhead per expectation plus a per-row cost that dominates at 1M rows,
while routing already knows, per row, which rule it violates. So a large batch is split:

* the counts (``unexpected_count``, ``unexpected_percent``, ``success``) of every rule that routing
  evaluates per row come from polars over *all* rows, with GX's own semantics (denominators,
  ``mostly``, every copy of a duplicated id, the ``status == 'ok'`` condition);
* GX runs those expectations on a bounded, deterministic sample: every k-th row plus the first
  EVIDENCE_ROWS violating rows of each rule. Since the first violators in row order are all in the
  sample, GX's ``partial_unexpected_list`` is the same as a full run's; and GX's count on the
  sample must equal polars' count on the same rows (checked, reported per expectation);
* dataset-level rules (a mean, a map rule polars cannot evaluate) run in GX on every row of the
  columns they read: their verdict cannot be sampled honestly.

Batches up to ``gx_full_max_rows()`` rows run the whole suite in GX on every row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from infranaut_pipelines.validation.routing import Routed
from infranaut_pipelines.validation.rules import SCHEMA_ERRORS_COL, Rule

FULL_MAX_ROWS_ENV = "INFRANAUT_GX_FULL_MAX_ROWS"
SAMPLE_ROWS = 20_000  # stride part of the sample; evidence rows come on top
EVIDENCE_ROWS = 10  # first violators per rule; >= the 5 examples GX reports
UNIQUE_RULE = "prediction_id.unique"
_NULL_TYPES = ("expect_column_values_to_be_null", "expect_column_values_to_not_be_null")


def gx_full_max_rows() -> int:
    """Batches up to this many rows run GX on every row (env override, e.g. a huge value = always)."""
    from infranaut_pipelines.settings import current

    return current().gx_full_max_rows


def is_countable(rule: Rule) -> bool:
    """Rules whose per-row verdict routing already computes (so polars can count them exactly)."""
    return rule.reason is not None or rule.column == SCHEMA_ERRORS_COL


@dataclass(frozen=True)
class RuleCount:
    """GX-style figures for one map expectation over a set of rows."""

    unexpected: int
    element: int  # rows considered (within the status == 'ok' condition where the rule has one)
    nonnull: int  # non-missing values among them (pandas: null and NaN are missing)

    def percent(self, expectation_type: str) -> float | None:
        den = self.element if expectation_type in _NULL_TYPES else self.nonnull
        return self.unexpected / den * 100 if self.element and den else None

    def success(self, expectation_type: str, mostly: float = 1.0) -> bool:
        den = self.element if expectation_type in _NULL_TYPES else self.nonnull
        if not self.element or not den:
            return True  # GX: vacuously true
        return (den - self.unexpected) / den >= mostly


def _flag_frame(gx_df: pl.DataFrame, routed: Routed, rules: list[Rule]) -> pl.DataFrame:
    """One Boolean 'violates' column per countable rule, full length, in row order."""
    by_name = {r.name: n for n, r in routed.rule_columns.items()}
    data: list[pl.Series] = []
    for r in rules:
        if r.name == UNIQUE_RULE:  # every copy, as GX counts (routing flags only the later ones)
            s = pl.repeat(False, gx_df.height, eager=True)
            s = s.scatter(routed.duplicate_rows, True) if routed.duplicate_rows.len() else s
        elif r.column == SCHEMA_ERRORS_COL:
            s = gx_df[SCHEMA_ERRORS_COL].is_not_null()
        else:
            s = routed.df[by_name[r.name]].is_not_null()
        data.append(s.alias(r.name))
    return pl.DataFrame(data)


def _missing(col: str, df: pl.DataFrame) -> pl.Expr:
    x = pl.col(col)
    return (x.is_null() | x.is_nan()) if df.schema[col].is_float() else x.is_null()


def count_rules(gx_df: pl.DataFrame, flags: pl.DataFrame, rules: list[Rule]) -> dict[str, RuleCount]:
    """Figures for each countable rule over the rows of ``gx_df``/``flags`` (same length, same order)."""
    if not rules:
        return {}
    cols = {"status", *(r.column for r in rules if r.column)}
    both = pl.concat([gx_df.select(pl.col(c).alias(f"c:{c}") for c in cols), flags], how="horizontal")
    ok = pl.col("c:status") == "ok"
    exprs: list[pl.Expr] = []
    for r in rules:
        cond = ok.fill_null(False) if r.only_ok_rows else pl.lit(True)
        exprs += [
            (pl.col(r.name) & cond).sum().alias(f"u:{r.name}"),
            cond.sum().alias(f"e:{r.name}") if r.only_ok_rows else pl.len().alias(f"e:{r.name}"),
            (~_missing(f"c:{r.column}", both) & cond).sum().alias(f"n:{r.name}"),
        ]
    row = both.select(exprs).row(0, named=True)
    return {r.name: RuleCount(int(row[f"u:{r.name}"] or 0), int(row[f"e:{r.name}"] or 0), int(row[f"n:{r.name}"] or 0))
            for r in rules}


@dataclass
class Evidence:
    full: bool
    rows: pl.Series | None  # positions GX evaluates (sorted); None: all rows
    stride: int
    exact: dict[str, RuleCount]  # all rows
    evaluated: dict[str, RuleCount]  # the rows GX evaluates

    @property
    def rows_evaluated(self) -> int | None:
        return None if self.rows is None else self.rows.len()


def _sample_rows(flags: pl.DataFrame, pid: pl.Series, dup_rows: pl.Series, n: int, sample: int, k: int) -> tuple[pl.Series, int]:
    stride = max(1, math.ceil(n / sample))
    parts = [pl.int_range(0, n, stride, eager=True, dtype=pl.Int64)]
    cols = [c for c in flags.columns if c != UNIQUE_RULE]
    if cols:
        first = flags.select(pl.int_range(pl.len(), dtype=pl.Int64).filter(pl.col(c)).head(k).implode().alias(c) for c in cols)
        parts += [s.explode().drop_nulls() for s in first]
    if dup_rows.len():
        # the first k copies in row order, and with each of their values its first k copies, so
        # GX sees them as duplicates (bounded even when one id repeats a million times).
        values = pid.gather(dup_rows.head(k)).unique().to_list()
        copies = pl.DataFrame({"i": dup_rows, "v": pid.gather(dup_rows)}).filter(pl.col("v").is_in(values))
        parts.append(copies.group_by("v", maintain_order=True).head(k)["i"])
    return pl.concat(parts).unique().sort(), stride


def gather_evidence(gx_df: pl.DataFrame, routed: Routed, rules: list[Rule], full_max_rows: int) -> Evidence:
    """Exact counts over all rows and, above ``full_max_rows``, the sample GX evaluates."""
    countable = [r for r in rules if is_countable(r)]
    flags = _flag_frame(gx_df, routed, countable)
    n = gx_df.height
    exact = count_rules(gx_df, flags, countable)
    if n <= full_max_rows:
        return Evidence(True, None, 1, exact, exact)
    rows, stride = _sample_rows(flags, gx_df["prediction_id"], routed.duplicate_rows, n, SAMPLE_ROWS, EVIDENCE_ROWS)
    sub, sub_flags = gx_df.gather(rows), flags.gather(rows)
    if UNIQUE_RULE in sub_flags.columns:  # within the sample, a copy counts only if another copy is in it too
        pid = sub["prediction_id"]
        sub_flags = sub_flags.with_columns((pid.is_duplicated() & pid.is_not_null()).alias(UNIQUE_RULE))
    return Evidence(False, rows, stride, exact, count_rules(sub, sub_flags, countable))
