"""Recall and false-alarm rate of the drift engine on injected drift of known size, at n = 1k, 100k, 1M.

The test suite checks 1k and 100k (tests/drift/test_injected_and_extras.py); 1M is here because it takes
longer than a unit test should. Half of the columns are shifted by `shift` reference standard deviations,
the other half are drawn from the reference distribution; each trial draws fresh current data.

    .venv/bin/python benchmarks/drift_detection_rates.py [--trials 3]
"""

import argparse
import time

import numpy as np
import polars as pl

from infranaut_pipelines.drift import ColumnSpec, build_sketch, compare

# (n, shift in reference standard deviations): the smallest shift the default method is meant to catch
# at that size (KS below 1,000 reference rows, normalised Wasserstein with threshold 0.1 above).
CASES = [(1_000, 0.5), (100_000, 0.2), (1_000_000, 0.2), (1_000_000, 0.05)]


def run(n: int, shift: float, trials: int, cols: int = 10) -> tuple[float, float, float]:
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    print(f"{'n':>10} {'shift (sd)':>10} {'recall':>7} {'false alarms':>13} {'compare s/trial':>16}")
    for n, shift in CASES:
        recall, far, secs = run(n, shift, args.trials)
        print(f"{n:>10,} {shift:>10} {recall:>7.2f} {far:>13.2f} {secs:>16.2f}")


if __name__ == "__main__":
    main()
