"""Ingestion throughput: generate drops, upload them to a local S3 (moto), then download + read_drop.

    .venv/bin/python benchmarks/ingest_throughput.py              # 1M rows, parquet and csv
    .venv/bin/python benchmarks/ingest_throughput.py --big        # 10M rows (needs ~6 GB RAM free)
    .venv/bin/python benchmarks/ingest_throughput.py --rows 200000 --formats parquet,csv,csv.gz,jsonl

Each format is read in its own subprocess so "peak RSS" is that reader's own high-water mark
(interpreter + polars + the typed frame), not the generator's or moto's. The CSV drop carries 0.1%
uncoercible values, so the error path is part of the measurement.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

MODEL = "fraud_detector"
DAY = "2026-11-20"
CHUNK = 1_000_000


def _chunk(start: int, n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    base = np.datetime64(f"{DAY}T00:00:00", "us")
    return pl.DataFrame(
        {
            "prediction_id": pl.int_range(start, start + n, eager=True).cast(pl.Utf8).str.pad_start(10, "0"),
            "model_id": [MODEL] * n,
            "model_version": ["v3"] * n,
            "timestamp": base + rng.integers(0, 86_400_000_000, n).astype("timedelta64[us]"),
            "latency_ms": rng.gamma(2.0, 20.0, n),
            "status": np.where(rng.random(n) < 0.01, "error", "ok"),
            "amount": rng.gamma(2.0, 50.0, n),
            "merchant_category": rng.choice(["grocery", "electronics", "travel", "restaurants", "fuel", "online"], n),
            "account_age_days": rng.integers(0, 5000, n),
            "num_tx_24h": rng.integers(0, 60, n),
            "distance_from_home_km": rng.gamma(1.0, 15.0, n),
            "is_international": rng.random(n) < 0.08,
            "device_type": rng.choice(["mobile", "desktop", "tablet"], n),
            "customer_email": [None] * n,
            "score": rng.random(n),
        },
        schema_overrides={"customer_email": pl.Utf8},
    ).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC"))


def generate(rows: int, out: Path, formats: list[str]) -> dict[str, Path]:
    import pyarrow.parquet as pq

    paths = {fmt: out / f"drop.{fmt}" for fmt in formats}
    writer = None
    text_files = {fmt: open(paths[fmt].with_name(paths[fmt].name + ".tmp"), "wb") for fmt in formats if fmt != "parquet"}
    try:
        for i, start in enumerate(range(0, rows, CHUNK)):
            df = _chunk(start, min(CHUNK, rows - start), seed=i)
            if "parquet" in formats:
                table = df.to_arrow()
                writer = writer or pq.ParquetWriter(paths["parquet"], table.schema, compression="zstd")
                writer.write_table(table, row_group_size=250_000)
            as_text = df.with_columns(
                pl.when(pl.int_range(pl.len()) % 1000 == 7).then(pl.lit("n/a")).otherwise(pl.col("amount").cast(pl.Utf8)).alias("amount")
            )
            for fmt, fh in text_files.items():
                if fmt.startswith("csv"):
                    as_text.write_csv(fh, include_header=(i == 0))
                else:
                    as_text.write_ndjson(fh)
    finally:
        if writer:
            writer.close()
        for fh in text_files.values():
            fh.close()
    for fmt in text_files:
        tmp = paths[fmt].with_name(paths[fmt].name + ".tmp")
        if fmt.endswith(".gz"):
            with open(tmp, "rb") as src, gzip.open(paths[fmt], "wb", compresslevel=3) as dst:
                shutil.copyfileobj(src, dst, 4 << 20)
            tmp.unlink()
        else:
            tmp.replace(paths[fmt])
    return paths


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: on Linux ru_maxrss survives fork+exec, so a child would report the parent's
    # (generator + moto) peak. VmHWM belongs to this process's own address space.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(bucket: str, key: str) -> None:
    """One format, in a fresh process: download, read_drop, print a JSON line with timings and peak RSS."""
    from infranaut_pipelines.ingest.contract import parse_drop_key
    from infranaut_pipelines.ingest.readers import read_drop
    from infranaut_pipelines.registry.loader import load_registry
    from infranaut_pipelines.storage.object_store import open_store

    spec = load_registry().model(MODEL)
    store = open_store(f"s3://{bucket}/landing")
    rss_before = _peak_rss_mb()
    t0 = time.perf_counter()
    with store.local_copy(key) as path:
        t1 = time.perf_counter()
        df = read_drop(path, parse_drop_key(key).extension, spec, "inferences", key)
        t2 = time.perf_counter()
    errors = int((df["_ingest_errors"].list.len() > 0).sum())
    print(
        json.dumps(
            {
                "rows": df.height,
                "rows_with_errors": errors,
                "download_s": t1 - t0,
                "read_s": t2 - t1,
                "rss_after_imports_mb": rss_before,
                "peak_rss_mb": _peak_rss_mb(),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big", action="store_true", help="10M rows")
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--worker", nargs=2, metavar=("BUCKET", "KEY"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    rows = 10_000_000 if args.big else args.rows
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    from infranaut_pipelines.storage.object_store import S3Store
    from tests.s3_server import start_s3_server

    print(f"polars {pl.__version__}, {os.cpu_count()} CPU(s), POLARS_MAX_THREADS={os.environ.get('POLARS_MAX_THREADS', 'default')}")
    with tempfile.TemporaryDirectory(prefix="infranaut-bench-") as tmp, start_s3_server() as s3:
        t = time.perf_counter()
        paths = generate(rows, Path(tmp), formats)
        print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f}s")
        bucket = s3.create_bucket("bench")
        store = S3Store(bucket.name, "landing", bucket.client)
        print(f"{'format':10s} {'size MB':>8s} {'upload s':>8s} {'download s':>10s} {'read s':>7s} {'rows/s (read)':>14s} "
              f"{'rows/s (dl+read)':>16s} {'peak RSS MB':>11s} {'bad rows':>8s}")
        for fmt in formats:
            key = f"inferences/{MODEL}/dt={DAY}/drop.{fmt}"
            t = time.perf_counter()
            store.write_file(key, paths[fmt])
            upload_s = time.perf_counter() - t
            out = subprocess.run(
                [sys.executable, __file__, "--worker", bucket.name, key], capture_output=True, text=True, check=True
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            assert r["rows"] == rows, r
            size_mb = paths[fmt].stat().st_size / 1e6
            total = r["download_s"] + r["read_s"]
            print(
                f"{fmt:10s} {size_mb:8.1f} {upload_s:8.2f} {r['download_s']:10.2f} {r['read_s']:7.2f} "
                f"{rows / r['read_s']:14,.0f} {rows / total:16,.0f} {r['peak_rss_mb']:11.0f} {r['rows_with_errors']:8,d}"
            )
        print(f"(reader process peak RSS after imports, before downloading: ~{r['rss_after_imports_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
