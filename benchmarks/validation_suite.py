"""Benchmark: validate_batch on 1M-row batches, timing each part, for two suites:

* "small": a regression model with one feature, the smallest suite the built-in catalogue makes
  (12 expectations: schema, 6 not-null, latency range, 2 category sets, unique id, timestamp day);
* "fraud_detector" from the shipped registry (25 expectations, incl. a dataset-level mean).

Run: .venv/bin/python benchmarks/validation_suite.py [rows]
Parts: polars routing (typing, reasons, split); evidence (exact per-rule counts + the GX sample);
polars->pandas of the columns GX reads; GX validation. Above INFRANAUT_GX_FULL_MAX_ROWS rows
(default 100,000) GX runs the row-level expectations on a sample, dataset-level ones on every row.
Goal: a ~10-expectation suite on 1M rows under 2 s on the dev machine (2 shared cores).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import polars as pl

# The batch generator lives with the tests (it is not part of the runtime package).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

t_import = time.perf_counter()
from infranaut_pipelines.registry import load_registry, parse_registry  # noqa: E402
from infranaut_pipelines.registry.schema import ModelSpec  # noqa: E402
from infranaut_pipelines.validation import build_suite, validate_batch  # noqa: E402
from tests.support.synthetic import raw_batch  # noqa: E402

IMPORT_S = time.perf_counter() - t_import
DAY = dt.date(2026, 11, 5)
SMALL = """
models:
  - id: small_model
    task: regression
    features: [{name: x, type: float, nullable: true}]
    prediction: {column: y}
"""


def bench(spec: ModelSpec, n: int) -> float:
    raw = raw_batch(spec, DAY, n, seed=1)
    # ~0.35 % bad rows of several kinds, so reasons, exact counts and GX examples are exercised.
    bad_latency = pl.when(pl.col("_row_number") % 400 == 0).then(-5.0).otherwise(pl.col("latency_ms"))
    raw = raw.with_columns(
        bad_latency.alias("latency_ms"),
        pl.when(pl.col("_row_number") % 1000 == 1).then(pl.lit("dup")).otherwise(pl.col("prediction_id")).alias("prediction_id"),
    )
    t = time.perf_counter()
    suite = build_suite(spec)
    build_s = time.perf_counter() - t
    validate_batch(raw.head(1000), spec, DAY)  # warm-up: GX context, lazy imports
    t = time.perf_counter()
    outcome = validate_batch(raw, spec, DAY)
    total = time.perf_counter() - t
    tm, gx = outcome.metrics["timings_s"], outcome.metrics["gx"]
    print(f"--- {spec.id}: rows={n:,} expectations={len(suite.suite.expectations)} "
          f"(row-level {len(suite.row_suite.expectations) if suite.row_suite else 0}, "
          f"dataset-level {len(suite.dataset_suite.expectations) if suite.dataset_suite else 0}) "
          f"quarantined={outcome.quarantine.height:,}")
    print(f"GX mode {gx['mode']}: row-level expectations on {gx['rows_evaluated']:,} rows, "
          f"dataset-level on all; counts/routing disagreements: {gx['disagreements'] or 'none'}")
    print(f"build suite (cached/model)  {build_s:7.3f} s")
    print(f"routing (polars)            {tm['routing_s']:7.3f} s")
    print(f"evidence (counts + sample)  {tm['evidence_s']:7.3f} s")
    print(f"polars -> pandas            {tm['to_pandas_s']:7.3f} s")
    print(f"GX validation               {tm['gx_s']:7.3f} s")
    print(f"validate_batch total        {total:7.3f} s  (goal < 2 s)")
    return total


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"import (once per process)   {IMPORT_S:7.3f} s")
    bench(parse_registry(SMALL).model("small_model"), n)
    bench(load_registry().model("fraud_detector"), n)


if __name__ == "__main__":
    main()
