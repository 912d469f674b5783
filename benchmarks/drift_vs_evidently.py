"""Our drift engine vs Evidently 0.7 DataDriftPreset on the same data, plus our peak memory on a
10M-row current day. Each measurement runs in its own subprocess so peak RSS (getrusage maxrss)
is not mixed between engines.

    .venv/bin/python benchmarks/drift_vs_evidently.py --rows 1000000 [--big-rows 10000000] [--skip-evidently]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

NUM = [f"n{i}" for i in range(15)]
CAT = [f"c{i}" for i in range(5)]
DRIFTED_NUM = {"n0": ("shift", 0.3), "n1": ("shift", 0.5), "n2": ("scale", 1.5), "n3": ("shift", 0.2)}
DRIFTED_CAT = {"c0"}


def generate(n: int, seed: int, current: bool) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for i, name in enumerate(NUM):
        x = rng.normal(10 * i, 1 + i % 3, n) if i % 2 == 0 else rng.lognormal(0, 0.5, n)
        if current and name in DRIFTED_NUM:
            kind, amount = DRIFTED_NUM[name]
            sd = 1 + i % 3 if i % 2 == 0 else 0.6
            x = x + amount * sd if kind == "shift" else x * amount
        cols[name] = x
    for j, name in enumerate(CAT):
        k = 4 + 3 * j
        p = np.ones(k) / k
        if current and name in DRIFTED_CAT:
            p = np.linspace(2, 0.2, k)
            p = p / p.sum()
        cols[name] = np.array([f"{name}_v{v}" for v in range(k)])[rng.choice(k, n, p=p)]
    return pl.DataFrame(cols)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_ours(rows: int) -> dict:
    from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare

    ref, cur = generate(rows, 1, False), generate(rows, 2, True)
    specs = [ColumnSpec(c, "numeric") for c in NUM] + [ColumnSpec(c, "categorical") for c in CAT]
    s = DriftSettings()
    t0 = time.perf_counter()
    sketch = build_sketch(ref, specs, s)
    t1 = time.perf_counter()
    res = compare(sketch, cur, specs, s)
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "compare_s": t2 - t1, "rss_mb": _rss_mb(), "dataset_drift": res.dataset_drift,
            "drifted": sorted(c.name for c in res.columns if c.drifted),
            "scores": {c.name: c.score for c in res.columns}, "methods": {c.name: c.method for c in res.columns},
            "sketch_kb": len(sketch.to_bytes()) / 1024}


def run_evidently(rows: int) -> dict:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref, cur = generate(rows, 1, False).to_pandas(), generate(rows, 2, True).to_pandas()
    dd = DataDefinition(numerical_columns=NUM, categorical_columns=CAT)
    t0 = time.perf_counter()
    snap = Report([DataDriftPreset()]).run(Dataset.from_pandas(cur, data_definition=dd),
                                           Dataset.from_pandas(ref, data_definition=dd))
    out = snap.dict()
    t1 = time.perf_counter()
    drifted, scores, ds = [], {}, False
    for m in out["metrics"]:
        cfg = m["config"]
        if cfg["type"].endswith("ValueDrift"):
            name, method, thr, v = cfg["column"], cfg["method"], cfg["threshold"], m["value"]
            scores[name] = v
            is_p = "p_value" in method
            if (v <= thr if method.startswith("K-S") else v < thr) if is_p else v >= thr:
                drifted.append(name)
        elif cfg["type"].endswith("DriftedColumnsCount"):
            ds = m["value"]["share"] >= cfg["drift_share"]
    return {"run_s": t1 - t0, "rss_mb": _rss_mb(), "dataset_drift": ds, "drifted": sorted(drifted), "scores": scores}


def run_big(rows: int, ref_rows: int) -> dict:
    """Current day written to parquet in 1M-row pieces (as a landing zone would hold it), then
    compared by scanning it lazily in batches."""
    from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare

    tmp = Path(tempfile.mkdtemp(prefix="drift_big_"))
    for i, off in enumerate(range(0, rows, 1_000_000)):
        generate(min(1_000_000, rows - off), 100 + i, True).write_parquet(tmp / f"part-{i:04d}.parquet")
    specs = [ColumnSpec(c, "numeric") for c in NUM] + [ColumnSpec(c, "categorical") for c in CAT]
    s = DriftSettings()
    sketch = build_sketch(generate(ref_rows, 1, False), specs, s)
    t0 = time.perf_counter()
    res = compare(sketch, pl.scan_parquet(tmp / "*.parquet"), specs, s)
    t1 = time.perf_counter()
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    return {"compare_s": t1 - t0, "rss_mb": _rss_mb(), "n_current": res.n_current,
            "drifted": sorted(c.name for c in res.columns if c.drifted)}


def _sub(mode: str, rows: int, extra: list[str] | None = None) -> dict:
    cmd = [sys.executable, __file__, "--mode", mode, "--rows", str(rows), *(extra or [])]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big-rows", type=int, default=10_000_000)
    ap.add_argument("--skip-evidently", action="store_true")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--mode", choices=["ours", "evidently", "big"])
    a = ap.parse_args()
    if a.mode == "ours":
        print(json.dumps(run_ours(a.rows)))
        return
    if a.mode == "evidently":
        print(json.dumps(run_evidently(a.rows)))
        return
    if a.mode == "big":
        print(json.dumps(run_big(a.big_rows, a.rows)))
        return
    print(f"data: {a.rows:,} reference + {a.rows:,} current rows x ({len(NUM)} numeric + {len(CAT)} categorical)")
    ours = _sub("ours", a.rows)
    print(f"ours:      build_sketch {ours['build_s']:.2f} s, compare {ours['compare_s']:.2f} s, "
          f"total {ours['build_s'] + ours['compare_s']:.2f} s, peak RSS {ours['rss_mb']:.0f} MB, "
          f"sketch {ours['sketch_kb']:.0f} KB")
    print(f"ours:      drifted {ours['drifted']} dataset_drift={ours['dataset_drift']}")
    if not a.skip_evidently:
        ev = _sub("evidently", a.rows)
        print(f"evidently: run {ev['run_s']:.2f} s, peak RSS {ev['rss_mb']:.0f} MB")
        print(f"evidently: drifted {ev['drifted']} dataset_drift={ev['dataset_drift']}")
        total = ours["build_s"] + ours["compare_s"]
        print(f"speed-up:  {ev['run_s'] / ours['compare_s']:.0f}x per current batch (sketch reused), "
              f"{ev['run_s'] / total:.0f}x including building the sketch")
        same = ours["drifted"] == ev["drifted"] and ours["dataset_drift"] == ev["dataset_drift"]
        print(f"verdicts match: {same}")
        worst = max(abs(ours["scores"][k] - ev["scores"][k]) for k in ev["scores"])
        print(f"max |score difference|: {worst:.2e}")
    if not a.skip_big:
        big = _sub("big", a.rows, ["--big-rows", str(a.big_rows)])
        print(f"ours, {big['n_current']:,} current rows (parquet, scanned in 1M-row batches): compare "
              f"{big['compare_s']:.2f} s, peak RSS {big['rss_mb']:.0f} MB (includes the {a.rows:,}-row reference)")


if __name__ == "__main__":
    main()
