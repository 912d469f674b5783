"""False-alarm rate on same-distribution samples and recall on injected drift, default mode beside
``evidently_compatible`` mode.

1. Same distribution, small samples: reference and current both n rows (n = 100, 200, 500, 1000, so
   the counts tests and KS apply), drawn from one distribution; categorical columns with 2-50 unequal
   levels and one normal numeric column. A column flagged is a false alarm; nominal rate alpha = 0.05.
2. The same with a 5,000-row reference (distances: Jensen-Shannon / Wasserstein) and a small current day,
   with the fixed 0.1 thresholds (default) and with ``size_aware_thresholds`` (drift/noise_floor.py);
   2b. recall of both on the injected shifts of part 3 against that reference.
3. Recall on injected categorical shifts at small n (the five most common of k levels gain mass).
4. Recall and false alarms on numeric columns at n = 1k, 100k, 1M (half of 10 columns shifted by
   `shift` reference standard deviations), as before.

    .venv/bin/python benchmarks/drift_detection_rates.py [--trials 200] [--big-trials 3] [--skip-big]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import polars as pl

from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare

ALPHA = 0.05
LEVELS = [2, 4, 10, 21, 50]
SMALL_N = [100, 200, 500, 1000]
MODES = {"default": DriftSettings(), "evidently": DriftSettings(evidently_compatible=True)}
# part 2: distances; evidently_compatible gives the same verdicts there as the default (both fixed 0.1)
DISTANCE_MODES = {"default": DriftSettings(), "size-aware": DriftSettings(size_aware_thresholds=True)}
# (n, shift in reference standard deviations): the smallest shift the default method is meant to catch
# at that size (KS below 1,000 reference rows, normalised Wasserstein with threshold 0.1 above).
CASES = [(1_000, 0.5), (100_000, 0.2), (1_000_000, 0.2), (1_000_000, 0.05)]


def _probs(k: int, shifted: bool = False) -> np.ndarray:
    p = np.linspace(3, 1, k)  # unequal levels: the rarest have small expected counts at small n
    if shifted:
        p[: min(5, k - 1)] *= 2.0
    return p / p.sum()


def _frame(rng: np.random.Generator, n: int, shifted: bool = False) -> pl.DataFrame:
    cols = {f"c{k}": rng.choice(k, n, p=_probs(k, shifted)).astype(str) for k in LEVELS}
    cols["num"] = rng.normal(0.3 if shifted else 0.0, 1.0, n)
    return pl.DataFrame(cols)


SPECS = [ColumnSpec(f"c{k}", "categorical") for k in LEVELS] + [ColumnSpec("num", "numeric")]


def flag_rates(n_ref: int, n_cur: int, trials: int, settings: DriftSettings, shifted: bool = False) -> dict[str, float]:
    """Share of trials in which each column was flagged (same seed for both modes: same data)."""
    rng = np.random.default_rng(n_ref * 7 + n_cur)
    hits = dict.fromkeys([s.name for s in SPECS], 0)
    for _ in range(trials):
        ref, cur = _frame(rng, n_ref), _frame(rng, n_cur, shifted)
        res = compare(build_sketch(ref, SPECS, settings), cur, SPECS, settings)
        for c in res.columns:
            hits[c.name] += c.drifted
    return {k: v / trials for k, v in hits.items()}


def _method_label(n_ref: int) -> str:
    return "chisquare (z for k=2); ks" if n_ref <= 1000 else "jensenshannon (all k); wasserstein"


def small_sample_table(trials: int, n_ref_fixed: int | None, ns: list[int], shifted: bool,
                       modes: dict[str, DriftSettings] = MODES) -> None:
    head = " ".join(f"{'k=' + str(k):>11}" for k in LEVELS)
    print(f"{'n_ref':>6} {'n_cur':>6} {'mode':>10} {head} {'numeric':>11}   methods")
    for n in ns:
        n_ref = n_ref_fixed or n
        for mode, settings in modes.items():
            r = flag_rates(n_ref, n, trials, settings, shifted)
            cells = " ".join(f"{r[f'c{k}']:>11.3f}" for k in LEVELS)
            print(f"{n_ref:>6} {n:>6} {mode:>10} {cells} {r['num']:>11.3f}   {_method_label(n_ref)}")


def numeric_recall(n: int, shift: float, trials: int, cols: int = 10) -> tuple[float, float, float]:
    rng = np.random.default_rng(n)
    ref = pl.DataFrame({f"x{i}": rng.normal(size=n) for i in range(cols)})
    specs = [ColumnSpec(f"x{i}", "numeric") for i in range(cols)]
    sketch = build_sketch(ref, specs)
    hits = alarms = 0
    t0 = time.perf_counter()
    for _ in range(trials):
        cur = pl.DataFrame({f"x{i}": rng.normal(shift if i < cols // 2 else 0.0, 1.0, n) for i in range(cols)})
        res = compare(sketch, cur, specs)
        hits += sum(res.column(f"x{i}").drifted for i in range(cols // 2))
        alarms += sum(res.column(f"x{i}").drifted for i in range(cols // 2, cols))
    per = trials * (cols // 2)
    return hits / per, alarms / per, (time.perf_counter() - t0) / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=200, help="trials per cell of the small-sample tables")
    parser.add_argument("--big-trials", type=int, default=3, help="trials per numeric recall case")
    parser.add_argument("--skip-big", action="store_true", help="skip the 100k / 1M numeric cases")
    args = parser.parse_args()
    t0 = time.perf_counter()
    sd = math.sqrt(ALPHA * (1 - ALPHA) / args.trials)
    print(f"1. false-alarm rate, same distribution, {args.trials} trials per cell, alpha {ALPHA} "
          f"(nominal {ALPHA} +/- {3 * sd:.3f} at 3 sd)")
    small_sample_table(args.trials, None, SMALL_N, shifted=False)
    print(f"\n2. false-alarm rate, 5,000-row reference (distances: threshold 0.1 / size-aware), small current, "
          f"{args.trials} trials")
    small_sample_table(args.trials, 5000, [30, 100, 500, 1000], shifted=False, modes=DISTANCE_MODES)
    print(f"\n2b. recall, the same reference, shifts of part 3, {args.trials} trials")
    small_sample_table(args.trials, 5000, [30, 100, 500, 1000], shifted=True, modes=DISTANCE_MODES)
    print(f"\n3. recall, injected shift (5 most common levels x2 mass; numeric +0.3 sd), {args.trials} trials")
    small_sample_table(args.trials, None, SMALL_N, shifted=True)
    print(f"\n4. numeric columns, default mode, {args.big_trials} trials (10 columns, 5 shifted)")
    print(f"{'n':>10} {'shift (sd)':>10} {'recall':>7} {'false alarms':>13} {'compare s/trial':>16}")
    for n, shift in CASES:
        if args.skip_big and n > 1000:
            continue
        recall, far, secs = numeric_recall(n, shift, args.big_trials)
        print(f"{n:>10,} {shift:>10} {recall:>7.2f} {far:>13.2f} {secs:>16.2f}")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
