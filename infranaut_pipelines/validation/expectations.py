"""The Great Expectations side: one suite per model, built from the registry and cached.

GX gives the per-expectation evidence (counts, a few failing values) in the form people already
know from Data Docs; routing itself is done in polars (see routing.py), from the same rules.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import polars as pl

from infranaut_pipelines.registry.schema import ModelSpec, Registry
from infranaut_pipelines.validation import checked_rules
from infranaut_pipelines.validation.evidence import is_countable
from infranaut_pipelines.validation.rules import (
    SCHEMA_ERRORS_COL,
    TS_MAX_PARAM,
    TS_MIN_PARAM,
    Context,
    Rule,
    builtin_rules,
    custom_rule,
    expected_schema,
)

if TYPE_CHECKING:
    import pandas as pd


def _gx() -> ModuleType:
    """Great Expectations, imported on first use: it costs seconds to import, and every process that loads
    the code location (code server, each run and step process) would pay that even when it validates nothing."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    import great_expectations.execution_engine.pandas_execution_engine as gx_pandas

    # GX fingerprints every in-memory batch by hashing the whole DataFrame (md5 over
    # hash_pandas_object): about a second per 1M rows, for a marker we never read. Skip it.
    gx_pandas.HASH_THRESHOLD = 0
    return gx


PARTIAL_EXAMPLES = 5


@dataclass
class Suite:
    model_id: str
    suite: Any  # gx.ExpectationSuite
    rules: dict[str, Rule]  # rule name -> rule, for mapping results back
    columns: list[str]  # columns the suite reads: the only ones converted to pandas
    # The same expectations split for large batches (see evidence.py): rules routing evaluates per
    # row (GX may run them on a sample) and dataset-level ones (GX always runs them on every row).
    row_suite: Any = None
    row_columns: list[str] = field(default_factory=list)
    dataset_suite: Any = None
    dataset_columns: list[str] = field(default_factory=list)


def _column_names(spec: ModelSpec) -> set[str]:
    return set(expected_schema(spec))


def _make(spec: ModelSpec, rule: Rule) -> Any:
    """Instantiate the expectation, turning every GX complaint into a message naming model and rule."""
    where = f"model {spec.id!r}, rule {rule.name!r}"
    _gx()
    from great_expectations.expectations.registry import get_expectation_impl
    from great_expectations.expectations.row_conditions import Column

    try:
        cls = get_expectation_impl(rule.expectation)
    except Exception:
        raise ValueError(f"{where}: unknown Great Expectations expectation type {rule.expectation!r}") from None
    kwargs = {k: v for k, v in rule.kwargs.items()}
    fields = getattr(cls, "__fields__", {}) or getattr(cls, "model_fields", {})
    if rule.column is not None:
        if rule.column not in _column_names(spec) and rule.column != SCHEMA_ERRORS_COL:
            raise ValueError(f"{where}: column {rule.column!r} is not a feature, the prediction or a standard column")
        if "column" not in fields:
            raise ValueError(f"{where}: expectation {rule.expectation!r} does not take a 'column'")
        kwargs["column"] = rule.column
    elif "column" in fields and getattr(fields["column"], "required", False):
        raise ValueError(f"{where}: expectation {rule.expectation!r} needs a 'column'")
    if rule.only_ok_rows:
        kwargs["row_condition"] = Column("status") == "ok"
    kwargs["meta"] = {"check": rule.check, "rule": rule.name, "severity": rule.severity}
    try:
        return cls(**kwargs)
    except Exception as exc:  # pydantic: missing/unknown/ill-typed kwargs
        msg = " ".join(str(exc).split())
        raise ValueError(f"{where}: invalid kwargs for {rule.expectation!r}: {msg}") from None


def _build(spec: ModelSpec) -> Suite:
    rules = builtin_rules(spec)
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"model {spec.id!r}: duplicate rule names {dupes} (custom rule names must be unique)")
    _context()  # GX suites need an active context even when never saved
    gx = _gx()
    suite = gx.ExpectationSuite(name=f"infranaut.{spec.id}")
    parts = {True: gx.ExpectationSuite(name=f"infranaut.{spec.id}.row"),
             False: gx.ExpectationSuite(name=f"infranaut.{spec.id}.dataset")}
    columns: list[str] = []
    part_columns: dict[bool, list[str]] = {True: [], False: []}
    for r in rules:
        suite.add_expectation(_make(spec, r))
        parts[is_countable(r)].add_expectation(_make(spec, r))
        for c in (r.column, "status" if r.only_ok_rows else None):
            for cols in (columns, part_columns[is_countable(r)]):
                if c and c not in cols:
                    cols.append(c)
    if any(r.column is None and not is_countable(r) for r in rules):
        part_columns[False] = list(columns)  # a rule without a column may read anything
    return Suite(spec.id, suite, {r.name: r for r in rules}, columns,
                 parts[True] if parts[True].expectations else None, part_columns[True],
                 parts[False] if parts[False].expectations else None, part_columns[False])


_CACHE: dict[str, Suite] = {}


def build_suite(spec: ModelSpec) -> Suite:
    """The model's suite, built once per registry entry (keyed by its full content, so edits rebuild)."""
    key = spec.model_dump_json()
    with _GX_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _build(spec)
        return _CACHE[key]


def check_rules(registry: Registry, remember_in: Path | None = None) -> None:
    """Build the suite of every model with custom rules; raise ValueError naming model and rule on the first bad one.

    Meant for definitions load, so a typo in a custom rule fails the deploy instead of a nightly run. Models
    without custom rules are skipped: their suite is the built-in catalogue over a schema-checked registry
    (covered by the tests), and building it would load Great Expectations into every process that loads the
    code location, for nothing. With ``remember_in``, rules that passed are remembered there
    (checked_rules.py): a later load with the same rules skips the check and does not import GX.
    """
    specs = [spec for spec in registry.models if spec.validation.rules]
    if not specs:
        return
    key = checked_rules.fingerprint(specs) if remember_in is not None else ""
    if remember_in is not None and checked_rules.was_checked(remember_in, key):
        return
    for spec in specs:
        for r in spec.validation.rules:
            _make(spec, custom_rule(spec, r))
        build_suite(spec)
    if remember_in is not None:
        checked_rules.remember(remember_in, key)


def to_gx_frame(df: pl.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Only the columns the suite reads. Numbers/timestamps go over as numpy (GX's vectorised paths);
    strings stay Arrow-backed: converting 1M Python str objects would cost more than all of GX."""
    sub = df.select(columns)
    strings = [c for c, t in sub.schema.items() if t == pl.Utf8]
    out = sub.drop(strings).to_pandas()
    for c in strings:
        out[c] = sub[c].to_pandas(use_pyarrow_extension_array=True)
    return out[columns]


_GX_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}


def _context() -> Any:
    """One ephemeral (in-memory) context per process: nothing written to disk, no progress bars."""
    with _GX_LOCK:
        if "ctx" not in _STATE:
            from great_expectations.data_context.types.base import ProgressBarsConfig

            ctx = _gx().get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            asset = ctx.data_sources.add_pandas("infranaut_batches").add_dataframe_asset("batch")
            _STATE["ctx"] = ctx
            _STATE["batch_def"] = asset.add_batch_definition_whole_dataframe("whole")
        return _STATE["ctx"]


def _batch_definition() -> Any:
    _context()
    return _STATE["batch_def"]


def run_suite(suite: Suite, frame: pd.DataFrame, ctx: Context, part: str = "all") -> list[Any]:
    """Validate the frame with the whole suite or one part ("row" / "dataset"); returns GX
    ExpectationValidationResults (one per expectation)."""
    gx_suite = {"all": suite.suite, "row": suite.row_suite, "dataset": suite.dataset_suite}[part]
    if gx_suite is None:
        return []
    params = {TS_MIN_PARAM: ctx.start.isoformat(), TS_MAX_PARAM: ctx.end.isoformat()}
    with _GX_LOCK:  # one ephemeral context per process; GX is not documented as thread-safe
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            gx_suite,
            result_format={"result_format": "BASIC", "partial_unexpected_count": PARTIAL_EXAMPLES},
            expectation_parameters=params,
        )
    return list(result.results)
