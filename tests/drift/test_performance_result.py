"""The typed performance results: what compare returns survives the JSON round trip the warehouse makes, rows
stored before a field existed still read, and the alert engine's view of them (signals) is direction-aware."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare
from infranaut_pipelines.drift.performance_result import (
    Band,
    EstimatedPerformance,
    PerformanceSignal,
    RealisedPerformance,
)


def _result(regression: bool = False):
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.normal(size=n)
    specs = [ColumnSpec("x", "numeric"), ColumnSpec("score", "numeric", role="prediction")]
    if regression:
        task, ref_y, score = "regression", 2 * x + rng.normal(scale=0.1, size=n), 2 * x
    else:
        task, score = "binary_classification", 1 / (1 + np.exp(-2 * x))
        ref_y = (rng.random(n) < score).astype(int)
    s = DriftSettings(task=task, chunks=10)
    sk = build_sketch(pl.DataFrame({"x": x, "score": score}), specs, s, labels=pl.Series(ref_y))
    # The current labels no longer follow the score: every metric of the task is worse.
    cur_y = rng.permutation(ref_y)
    return compare(sk, pl.DataFrame({"x": x, "score": score}), specs, s, labels=pl.Series(cur_y))


@pytest.mark.parametrize("regression", [False, True])
def test_the_results_survive_the_json_round_trip(regression: bool) -> None:
    res = _result(regression)
    perf = res.performance
    assert isinstance(perf, RealisedPerformance) and perf.degraded and perf.error is None
    stored = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert RealisedPerformance.from_dict(stored["performance"]) == perf
    if regression:
        assert res.estimated_performance is None and set(perf.metrics) == {"mae", "rmse"}
        signal = perf.signal()
        # MAE: lower is better, so a worse model shows as a positive drop and above the band's upper edge.
        assert signal.metric == "mae" and not signal.better_when_higher
        assert signal.relative_drop() > 0 and signal.outside_band() == (True, signal.band.upper)
    else:
        est = res.estimated_performance
        assert EstimatedPerformance.from_dict(stored["estimated_performance"]) == est
        signal = perf.signal()
        assert signal.metric == "auc" and signal.better_when_higher and signal.relative_drop() > 0
        assert signal.outside_band() == (True, signal.band.lower)
        assert est.signal().metric == "accuracy" and est.signal().value == est.estimated


def test_old_rows_and_partial_records_read() -> None:
    # A row written before n_labelled / band existed, and an error-only row.
    old = {"task": "binary_classification", "metrics": {"auc": {"reference": 0.9, "current": 0.8, "degraded": True}},
           "degraded": True}
    perf = RealisedPerformance.from_dict(old)
    assert perf.n_labelled == 0 and perf.metrics["auc"].band is None
    assert perf.signal() == PerformanceSignal("auc", 0.8, 0.9, None)
    assert RealisedPerformance.from_dict({"error": "no labelled rows"}).signal("regression") is None
    assert RealisedPerformance.from_dict(None) is None
    # Hand-written signals (tests, a team's own rules) are typed on the way in; a band without edges is no band.
    s = PerformanceSignal.of({"metric": "rmse", "value": 11.0, "baseline": 10.0, "band": {"mean": 10.0}})
    assert s.band is None and s.relative_drop() == pytest.approx(0.1)
    flipped = PerformanceSignal.of({"metric": "rmse", "value": 11.0, "baseline": 10.0, "higher_is_better": True})
    assert flipped.relative_drop() == pytest.approx(-0.1)
    assert Band.of({"lower": 1, "upper": 2}) == Band(1.0, 2.0, None)
