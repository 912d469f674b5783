"""Size-aware distance thresholds (drift/noise_floor.py): a 5,000-row reference (so the distances apply) and
small current days. The fixed 0.1 flags most unchanged 100-row days; the size-aware threshold keeps them near
the 5% the floor is set at, still finds real shifts, and leaves large days and explicit thresholds alone."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare
from infranaut_pipelines.drift.noise_floor import MAX_ROWS, wasserstein_floor
from infranaut_pipelines.drift.numeric import NumericSummary, make_edges, wasserstein

AWARE = DriftSettings(size_aware_thresholds=True)
FIXED = DriftSettings()
LEVELS = [f"v{i:02d}" for i in range(21)]
P = np.linspace(3, 1, 21) / np.linspace(3, 1, 21).sum()
SPECS = [ColumnSpec("x", "numeric"), ColumnSpec("c", "categorical")]


def _day(rng: np.random.Generator, n: int, shift: float = 0.0, p: np.ndarray = P) -> pl.DataFrame:
    return pl.DataFrame({"x": rng.normal(shift, 1.0, n), "c": rng.choice(LEVELS, n, p=p)})


@pytest.fixture(scope="module")
def sketch():
    return build_sketch(_day(np.random.default_rng(0), 5000), SPECS)


def _rates(sketch, settings: DriftSettings, n: int, trials: int, **day) -> dict[str, float]:
    rng = np.random.default_rng(n)
    hits = {"x": 0, "c": 0}
    for _ in range(trials):
        for c in compare(sketch, _day(rng, n, **day), SPECS, settings).columns:
            hits[c.name] += c.drifted
    return {k: v / trials for k, v in hits.items()}


def test_unchanged_small_days_are_not_flagged_beyond_the_floor_quantile(sketch) -> None:
    trials = 80
    fixed, aware = _rates(sketch, FIXED, 100, trials), _rates(sketch, AWARE, 100, trials)
    assert fixed["x"] > 0.4 and fixed["c"] > 0.9  # the defect: Wasserstein and JS at 0.1 on 100 rows
    limit = 0.05 + 3 * math.sqrt(0.05 * 0.95 / trials)
    assert aware["x"] <= limit and aware["c"] <= limit


def test_real_shifts_on_small_days_still_flagged(sketch) -> None:
    shifted = P.copy()
    shifted[:5] *= 2.5
    shifted /= shifted.sum()
    # the five most common levels gain mass (33% -> 56% of rows); the numeric column moves 1 sd / 0.5 sd
    assert _rates(sketch, AWARE, 100, 20, shift=1.0)["x"] >= 0.9
    rates = _rates(sketch, AWARE, 300, 20, shift=0.5, p=shifted)
    assert rates["x"] >= 0.9 and rates["c"] >= 0.9


def test_threshold_raised_only_on_small_days_and_only_when_not_explicit(sketch) -> None:
    rng = np.random.default_rng(3)
    small = compare(sketch, _day(rng, 100), SPECS, AWARE).column("x")
    assert small.stats["threshold_source"] == "sample size" and small.threshold == small.stats["noise_floor"] > 0.1
    large = compare(sketch, _day(rng, MAX_ROWS), SPECS, AWARE).column("x")
    assert large.threshold == 0.1 and large.stats["threshold_source"] == "default" and "noise_floor" not in large.stats
    explicit = [ColumnSpec("x", "numeric", threshold=0.05), SPECS[1]]
    col = compare(sketch, _day(rng, 100), explicit, AWARE).column("x")
    assert col.threshold == 0.05 and col.stats["threshold_source"] == "column"
    # off by default and in evidently_compatible mode
    assert compare(sketch, _day(rng, 100), SPECS).column("x").threshold == 0.1
    ev = DriftSettings(size_aware_thresholds=True, evidently_compatible=True)
    assert compare(sketch, _day(rng, 100), SPECS, ev).column("x").threshold == 0.1


@pytest.mark.parametrize("draw", [
    lambda rng, n: rng.normal(size=n),
    lambda rng, n: rng.lognormal(size=n),  # a long right tail
    lambda rng, n: rng.integers(0, 30, n).astype(float),  # atoms (exact ECDF)
], ids=["normal", "lognormal", "integers"])
def test_wasserstein_floor_is_the_null_quantile(draw) -> None:
    # the floor, computed from the sketch alone, against the 95th percentile of real unchanged days' distances
    rng = np.random.default_rng(11)
    xs = np.sort(draw(rng, 20_000))
    edges, _ = make_edges(xs)
    ref = NumericSummary(edges, shift=float(xs.mean()))
    ref.add_sorted(xs)
    null = []
    for _ in range(400):
        day = NumericSummary(edges, shift=ref.shift)
        day.add_sorted(np.sort(draw(rng, 100)))
        null.append(wasserstein(ref, day)[0] / ref.std)
    assert wasserstein_floor(ref, 100, ref.std) == pytest.approx(np.quantile(null, 0.95), rel=0.15)


def test_the_registry_turns_it_on_per_model() -> None:
    from infranaut_pipelines.monitoring.specs import drift_settings
    from infranaut_pipelines.registry import parse_registry
    from tests.support.own_model import MODEL, REGISTRY_YAML

    off = parse_registry(REGISTRY_YAML, "models.yaml").model(MODEL)
    on_text = REGISTRY_YAML.replace("    drift:\n", "    drift:\n      size_aware_thresholds: true\n", 1)
    assert on_text != REGISTRY_YAML  # the tests' own model declares a drift section
    on = parse_registry(on_text, "models.yaml").model(MODEL)
    assert not drift_settings(off).size_aware_thresholds and drift_settings(on).size_aware_thresholds
