"""Benchmark: aggregation (dbt build) of one 10M-row day of one model on DuckDB.

Generates the partition with DuckDB itself (inference_log, label_log for a share of the predictions,
model_registry), then runs the partition's ``dbt build`` in a subprocess exactly as the Dagster asset does
(same vars, same environment derived from the warehouse URL) and prints the wall time and the peak RSS of
the dbt process.

    .venv/bin/python benchmarks/aggregation_10m.py [--rows 10000000] [--label-share 0.5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from infranaut_pipelines.resources.dbt import DBT_PROJECT_DIR, dbt_env_for_warehouse

DAY = "2026-03-14"
MODEL_ID = "fraud_detector"


def generate(path: Path, rows: int, label_share: float) -> float:
    """Write the partition into a fresh DuckDB file with the warehouse's column types; returns seconds."""
    start = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        """
        CREATE TABLE model_registry AS
        SELECT 'fraud_detector' AS model_id, 'binary_classification' AS task, 0.5::DOUBLE AS prediction_threshold,
               120.0::DOUBLE AS sla_latency_p95_ms, 0.02::DOUBLE AS sla_error_rate
        """
    )
    con.execute(
        f"""
        CREATE TABLE inference_log AS
        WITH g AS (SELECT range AS i, random() AS u, random() AS s, random() AS e FROM range({rows}))
        SELECT
            '{MODEL_ID}' AS model_id,
            DATE '{DAY}' AS partition_date,
            'p' || i::VARCHAR AS prediction_id,
            'v1' AS model_version,
            (TIMESTAMPTZ '{DAY} 00:00:00+00' + to_microseconds((i * 86400000000 // {rows})::BIGINT)) AS "timestamp",
            round(20 + 200 * u * u, 3)::DOUBLE AS latency_ms,
            CASE WHEN e < 0.01 THEN 'error' ELSE 'ok' END AS status,
            CASE WHEN e < 0.01 THEN NULL ELSE round(s, 4) END::DOUBLE AS prediction_value,
            CASE WHEN e < 0.01 THEN NULL WHEN s >= 0.5 THEN '1' ELSE '0' END AS prediction_class
        FROM g
        """
    )
    con.execute(
        f"""
        CREATE TABLE label_log AS
        SELECT
            model_id, partition_date, prediction_id,
            CASE WHEN random() < coalesce(prediction_value, 0.3) THEN 1.0 ELSE 0.0 END::DOUBLE AS label_value,
            NULL::VARCHAR AS label_class,
            "timestamp" + INTERVAL 1 DAY AS label_timestamp
        FROM inference_log
        WHERE random() < {label_share}
        """
    )
    con.execute("UPDATE label_log SET label_class = CASE WHEN label_value = 1 THEN '1' ELSE '0' END")
    con.close()
    return time.perf_counter() - start


def run_dbt(url: str, target_path: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MiB of the dbt process, exit code)."""
    dbt = Path(sys.executable).parent / "dbt"
    cmd = [
        str(dbt), "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path), "--log-path", str(target_path),
        "--vars", json.dumps({"partition_date": DAY, "model_id": MODEL_ID}),
    ]  # fmt: skip
    env = {**os.environ, **dbt_env_for_warehouse(url), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-4000:])
    # The only child process this script waits for is dbt; Linux reports ru_maxrss in KiB.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return wall, peak_mib, proc.returncode


def node_timings(target_path: Path) -> list[tuple[str, float]]:
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    models = [(r["unique_id"].split(".")[-1], r["execution_time"]) for r in results if r["unique_id"].startswith("model.")]
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    return [*models, (f"{sum(1 for r in results if r['unique_id'].startswith('test.'))} tests (sum)", tests)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--label-share", type=float, default=0.5)
    parser.add_argument("--keep", type=Path, help="write the warehouse here instead of a temporary folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="agg_bench_") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        db = base / "warehouse.duckdb"
        db.unlink(missing_ok=True)
        gen_s = generate(db, args.rows, args.label_share)
        con = duckdb.connect(str(db), read_only=True)
        n_inf, n_lab = con.execute("SELECT (SELECT count(*) FROM inference_log), (SELECT count(*) FROM label_log)").fetchone()
        con.close()
        print(f"generated {n_inf:,} inference rows and {n_lab:,} labels in {gen_s:.1f} s ({db.stat().st_size / 2**20:.0f} MiB file)")

        url = f"duckdb:///{db}"
        wall, peak_mib, code = run_dbt(url, base / "target")
        print(f"dbt build of partition {DAY}|{MODEL_ID}: exit {code}, wall {wall:.1f} s, peak RSS of dbt {peak_mib} MiB")
        if code == 0:
            for name, seconds in node_timings(base / "target"):
                print(f"  {name:<32} {seconds:6.2f} s")
            con = duckdb.connect(str(db), read_only=True)
            row = con.execute(
                "SELECT request_count, error_rate, latency_p95_ms, labelled_count, auc FROM daily_model_metrics"
            ).fetchone()
            con.close()
            print(f"  daily row: requests={row[0]:,} error_rate={row[1]:.4f} p95={row[2]:.1f} ms labelled={row[3]:,} auc={row[4]:.4f}")
        return code


if __name__ == "__main__":
    raise SystemExit(main())
