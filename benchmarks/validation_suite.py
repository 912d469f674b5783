"""Benchmark: validate_batch on a 1M-row fraud_detector batch (~30 expectations), timing each part.

Run: .venv/bin/python benchmarks/validation_suite.py [rows]
Parts: polars routing (typing, reasons, split), polars->pandas conversion of the suite's columns,
GX suite validation. Goal: under 2 s total on the dev machine (2 shared cores).
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import polars as pl

t_import = time.perf_counter()
from infranaut_pipelines.registry import load_registry  # noqa: E402
from infranaut_pipelines.validation import build_suite, validate_batch  # noqa: E402
from infranaut_pipelines.validation.synthetic import raw_batch  # noqa: E402

IMPORT_S = time.perf_counter() - t_import


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    spec = load_registry().model("fraud_detector")
    day = dt.date(2026, 11, 5)
    raw = raw_batch(spec, day, n, seed=1)
    # ~0.5 % bad rows of several kinds, so reasons and GX examples are exercised.
    raw = raw.with_columns(
        pl.when(pl.col("_row_number") % 400 == 0).then(73000.0).otherwise(pl.col("amount")).alias("amount"),
        pl.when(pl.col("_row_number") % 1000 == 1).then(pl.lit("dup")).otherwise(pl.col("prediction_id")).alias("prediction_id"),
    )
    t = time.perf_counter()
    suite = build_suite(spec)
    build_s = time.perf_counter() - t
    validate_batch(raw.head(1000), spec, day)  # warm-up: GX context, lazy imports
    t = time.perf_counter()
    outcome = validate_batch(raw, spec, day)
    total = time.perf_counter() - t
    tm = outcome.metrics["timings_s"]
    print(f"rows={n:,} expectations={len(suite.suite.expectations)} quarantined={outcome.quarantine.height:,}")
    print(f"import (once per process)   {IMPORT_S:7.3f} s")
    print(f"build suite (cached/model)  {build_s:7.3f} s")
    print(f"routing (polars)            {tm['routing_s']:7.3f} s")
    print(f"polars -> pandas            {tm['to_pandas_s']:7.3f} s")
    print(f"GX validation               {tm['gx_s']:7.3f} s")
    print(f"validate_batch total        {total:7.3f} s  (goal < 2 s)")


if __name__ == "__main__":
    main()
