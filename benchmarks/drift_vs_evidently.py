"""Our drift engine vs Evidently 0.7's DataDriftPreset on the same data, side by side in one run.

Printed, each with its target:
1. ``infranaut drift REF CUR`` as a whole process (start-up, imports, reading both parquet files, the
   reference sketch, the compare, the report) vs Evidently's ``Report.run`` on the same data already in
   memory as pandas (its imports and file reading not counted): >= 50x, with the same verdict per column.
2. Per current batch: ``compare`` against a stored sketch (loaded from its bytes) vs the same Evidently run:
   >= 150x.
3. A 10M-row current day (parquet files of 1M rows, scanned lazily, compared in batches): <= 10 s, with the
   process's peak RSS, which stays near a 1M-row batch's, not the day's.
Optionally (``--old-src DIR``: a checkout of older code, e.g. ``git worktree add /tmp/main main``) the same
whole-process command of that code, for a before/after in the same run.

Every measurement runs in its own process, and peak RSS and CPU time are that process's own
(``os.wait4``). Our runs are repeated (``--repeat``, default 3) and the best kept: on a shared machine
other jobs only ever add time. Evidently's run (minutes) is made once.

    .venv/bin/python benchmarks/drift_vs_evidently.py [--rows 1000000] [--big-rows 10000000]
        [--skip-evidently] [--skip-big] [--old-src DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

NUM = [f"n{i}" for i in range(15)]
CAT = [f"c{i}" for i in range(5)]
DRIFTED_NUM = {"n0": ("shift", 0.3), "n1": ("shift", 0.5), "n2": ("scale", 1.5), "n3": ("shift", 0.2)}
DRIFTED_CAT = {"c0"}
INFRANAUT = Path(sys.executable).with_name("infranaut")
# CPU seconds (user + system) of the last measured child: beside wall time, since on a machine shared with
# other jobs wall time also measures the others
LAST_CPU = [0.0]


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


def _specs():
    from infranaut_pipelines.drift import ColumnSpec

    return [ColumnSpec(c, "numeric") for c in NUM] + [ColumnSpec(c, "categorical") for c in CAT]


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, the child's own peak RSS (MB) and its stdout; its CPU seconds in ``LAST_CPU``."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        LAST_CPU[0] = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read() if proc.stderr else ""
        if proc.returncode not in (0, 1):  # 1 = dataset drift, a result
            raise RuntimeError(f"{cmd} exited {proc.returncode}: {err}")
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, out.read()


# -- the measured processes (--mode ...) -----------------------------------------------------------

def mode_sketch(ref_path: str, sketch_path: str) -> dict:
    from infranaut_pipelines.drift import DriftSettings, build_sketch

    ref = pl.read_parquet(ref_path)
    t0 = time.perf_counter()
    sketch = build_sketch(ref, _specs(), DriftSettings())
    t1 = time.perf_counter()
    Path(sketch_path).write_bytes(sketch.to_bytes())
    return {"build_s": t1 - t0, "sketch_kb": Path(sketch_path).stat().st_size / 1024}


def mode_compare(sketch_path: str, cur_path: str, repeat: str = "1") -> dict:
    """One current batch, in memory, against the stored sketch (best of ``repeat``)."""
    from infranaut_pipelines.drift import BaselineSketch, DriftSettings, compare

    sketch = BaselineSketch.from_bytes(Path(sketch_path).read_bytes())
    cur = pl.read_parquet(cur_path)
    runs = []
    for _ in range(int(repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        res = compare(sketch, cur, _specs(), DriftSettings())
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    (wall, cpu) = min(runs)
    return {"compare_s": wall, "compare_cpu_s": cpu, "drifted": sorted(c.name for c in res.columns if c.drifted)}


def mode_big(sketch_path: str, cur_glob: str) -> dict:
    from infranaut_pipelines.drift import BaselineSketch, DriftSettings, compare

    sketch = BaselineSketch.from_bytes(Path(sketch_path).read_bytes())
    s = DriftSettings()
    t0 = time.perf_counter()
    res = compare(sketch, pl.scan_parquet(cur_glob), _specs(), s)
    t1 = time.perf_counter()
    return {"compare_s": t1 - t0, "n_current": res.n_current, "batch_rows": s.batch_rows,
            "drifted": sorted(c.name for c in res.columns if c.drifted)}


def mode_evidently(ref_path: str, cur_path: str) -> dict:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref, cur = pl.read_parquet(ref_path).to_pandas(), pl.read_parquet(cur_path).to_pandas()
    dd = DataDefinition(numerical_columns=NUM, categorical_columns=CAT)
    t0, c0 = time.perf_counter(), time.process_time()
    snap = Report([DataDriftPreset()]).run(Dataset.from_pandas(cur, data_definition=dd),
                                           Dataset.from_pandas(ref, data_definition=dd))
    out = snap.dict()
    t1, c1 = time.perf_counter(), time.process_time()
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
    return {"run_s": t1 - t0, "run_cpu_s": c1 - c0, "dataset_drift": ds, "drifted": sorted(drifted), "scores": scores}


def _mode(name: str, *args: str) -> tuple[dict, float]:
    _, rss, out = _timed([sys.executable, __file__, "--mode", name, *args])
    return json.loads(out.strip().splitlines()[-1]), rss


def _cli(ref: Path, cur: Path, report: Path, old_src: str | None = None) -> tuple[float, float, dict]:
    args = ["drift", str(ref), str(cur), "--json", str(report)]
    if old_src:
        # the older code's CLI from its source tree with this venv's libraries: -S so the editable install's
        # import hook (site-packages .pth) does not pick this checkout's package instead
        boot = (f"import sys; sys.path[:0] = [{old_src!r}]; sys.path.append({sysconfig.get_paths()['purelib']!r}); "
                "from infranaut_pipelines.cli import main; raise SystemExit(main(sys.argv[1:]))")
        cmd = [sys.executable, "-S", "-c", boot, *args]
    else:
        cmd = [str(INFRANAUT), *args]
    wall, rss, _ = _timed(cmd)
    return wall, rss, json.loads(report.read_text())["result"]


def _verdicts(result: dict) -> tuple[list[str], bool]:
    return sorted(c["name"] for c in result["columns"] if c["drifted"]), bool(result["dataset_drift"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big-rows", type=int, default=10_000_000)
    ap.add_argument("--skip-evidently", action="store_true")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--old-src", help="source tree of older code to run the same CLI command with")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of our whole process and of our compare, best kept (other jobs only add time)")
    ap.add_argument("--mode", choices=["sketch", "compare", "big", "evidently"])
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    if a.mode:
        fn = {"sketch": mode_sketch, "compare": mode_compare, "big": mode_big, "evidently": mode_evidently}[a.mode]
        print(json.dumps(fn(*a.args)))
        return

    tmp = Path(tempfile.mkdtemp(prefix="drift_bench_"))
    ref, cur, sketch = tmp / "ref.parquet", tmp / "cur.parquet", tmp / "ref.sketch"
    generate(a.rows, 1, False).write_parquet(ref)
    generate(a.rows, 2, True).write_parquet(cur)
    print(f"data: {a.rows:,} reference + {a.rows:,} current rows x ({len(NUM)} numeric + {len(CAT)} categorical), "
          f"parquet; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")

    runs = []
    for _ in range(a.repeat):
        w, rss, result = _cli(ref, cur, tmp / "ours.json")
        runs.append((w, LAST_CPU[0]))
    wall, cpu = min(runs)
    drifted, ds = _verdicts(result)
    print(f"ours, whole process (`infranaut drift REF CUR --json`), best of {a.repeat}: {wall:.2f} s "
          f"(CPU {cpu:.2f} s; all runs {', '.join(f'{w:.2f}' for w, _ in runs)} s), peak RSS {rss:.0f} MB")
    print(f"ours:      drifted {drifted} dataset_drift={ds}")
    if a.old_src:
        old_runs = []
        for _ in range(a.repeat):
            w, old_rss, old_result = _cli(ref, cur, tmp / "old.json", a.old_src)
            old_runs.append((w, LAST_CPU[0]))
        (old_wall, old_cpu) = min(old_runs)
        same_old = _verdicts(old_result) == (drifted, ds)
        print(f"old code, whole process, best of {a.repeat}: {old_wall:.2f} s (CPU {old_cpu:.2f} s), peak RSS "
              f"{old_rss:.0f} MB (new code {old_wall / wall:.1f}x faster, {old_cpu / cpu:.1f}x less CPU; "
              f"same verdicts: {same_old})")
    built, _ = _mode("sketch", str(ref), str(sketch))
    batch, batch_rss = _mode("compare", str(sketch), str(cur), str(a.repeat))
    print(f"ours, in process: build_sketch {built['build_s']:.2f} s (sketch {built['sketch_kb']:.0f} KB); "
          f"compare one batch against the stored sketch, best of {a.repeat}, {batch['compare_s']:.2f} s (CPU {batch['compare_cpu_s']:.2f} s, "
          f"peak RSS {batch_rss:.0f} MB)")

    if not a.skip_evidently:
        ev, ev_rss = _mode("evidently", str(ref), str(cur))
        print(f"evidently: Report.run {ev['run_s']:.2f} s (CPU {ev['run_cpu_s']:.2f} s; data already in pandas, "
              f"imports not counted), "
              f"peak RSS {ev_rss:.0f} MB")
        print(f"evidently: drifted {ev['drifted']} dataset_drift={ev['dataset_drift']}")
        same = drifted == ev["drifted"] and ds == ev["dataset_drift"] and batch["drifted"] == drifted
        print(f"verdicts match per column: {same}")
        scores = {c["name"]: c["score"] for c in result["columns"]}
        print(f"max |score difference|: {max(abs(scores[k] - v) for k, v in ev['scores'].items()):.2e}")
        whole, per_batch = ev["run_s"] / wall, ev["run_s"] / batch["compare_s"]
        print(f"speed-up, whole process:   {whole:.1f}x (target >= 50x: {'met' if whole >= 50 else 'NOT met'})")
        print(f"speed-up, per batch:       {per_batch:.0f}x (target >= 150x: {'met' if per_batch >= 150 else 'NOT met'})")
        print(f"CPU time, whole process:   {ev['run_cpu_s'] / cpu:.1f}x less than Evidently's run; per batch "
              f"{ev['run_cpu_s'] / batch['compare_cpu_s']:.0f}x less")

    if not a.skip_big:
        big = tmp / "big"
        big.mkdir()
        for i, off in enumerate(range(0, a.big_rows, 1_000_000)):
            generate(min(1_000_000, a.big_rows - off), 100 + i, True).write_parquet(big / f"part-{i:04d}.parquet")
        res, big_rss = _mode("big", str(sketch), str(big / "*.parquet"))
        print(f"ours, {res['n_current']:,} current rows (parquet, scanned in {res['batch_rows']:,}-row batches): "
              f"compare {res['compare_s']:.2f} s (target <= 10 s: {'met' if res['compare_s'] <= 10 else 'NOT met'}), "
              f"peak RSS {big_rss:.0f} MB; drifted {res['drifted']}")
    for p in sorted(tmp.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    tmp.rmdir()
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
