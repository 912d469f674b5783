"""Each method against scipy (or Evidently's own stattest) on small data."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats
from scipy.spatial import distance

from infranaut_pipelines.drift import BaselineSketch, ColumnSpec, DriftSettings, build_sketch, compare


def _one(ref, cur, kind="numeric", method=None, ref_rows=None, settings=None):
    spec = [ColumnSpec("x", kind, method=method)]
    sk = build_sketch(pl.DataFrame({"x": ref}), spec, settings)
    return compare(BaselineSketch.from_bytes(sk.to_bytes()), pl.DataFrame({"x": cur}), spec, settings).columns[0]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    return rng.normal(size=700).round(3), rng.normal(0.15, 1.1, size=2500).round(3)


def test_ks_matches_scipy_exactly(data):
    ref, cur = data
    c = _one(ref, cur)
    assert c.method == "ks"
    r = stats.ks_2samp(ref, cur)
    assert c.stats["statistic"] == pytest.approx(r.statistic, abs=1e-12)
    assert c.score == pytest.approx(r.pvalue, rel=1e-9)


def test_wasserstein_matches_scipy_within_reported_bound(data):
    ref, cur = data
    c = _one(ref, cur, method="wasserstein")
    exact = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert abs(c.score - exact) <= c.stats["error_bound"] + 1e-12
    assert c.score == pytest.approx(exact, rel=5e-3)


def test_wasserstein_large_reference_quantile_grid():
    rng = np.random.default_rng(3)
    ref, cur = rng.lognormal(size=60_000), rng.lognormal(0.05, 1.0, size=40_000)
    c = _one(ref, cur)
    assert c.method == "wasserstein"
    exact = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert abs(c.score - exact) <= c.stats["error_bound"] + 1e-12
    assert abs(c.score - exact) < 0.005


def test_chisquare_and_z_match_scipy():
    rng = np.random.default_rng(1)
    ref, cur = rng.choice(list("abc"), 600), rng.choice(list("abc"), 900, p=[0.4, 0.3, 0.3])
    rc = {k: (ref == k).sum() for k in "abc"}
    obs = [(cur == k).sum() for k in "abc"]
    # default: two-sample test of homogeneity on the 2 x 3 table
    c = _one(ref, cur, kind="categorical")
    assert c.method == "chisquare" and c.stats["test"] == "chi2_contingency"
    table = [[rc[k] for k in "abc"], obs]
    assert c.score == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-9)
    # Evidently-compatible: goodness of fit against the reference proportions
    ev = _one(ref, cur, kind="categorical", settings=DriftSettings(evidently_compatible=True))
    assert ev.score == pytest.approx(stats.chisquare(obs, [rc[k] * 900 / 600 for k in "abc"]).pvalue, rel=1e-9)
    assert ev.stats["statistic"] == c.stats["statistic"]  # learned thresholds see the same effect size

    rb, cb = rng.choice(["n", "y"], 500), rng.choice(["n", "y"], 800, p=[0.6, 0.4])
    z = _one(rb, cb, kind="categorical")
    assert z.method == "z"
    p1, p2 = (rb == "y").mean(), (cb == "y").mean()
    pool = (p1 * 500 + p2 * 800) / 1300
    zz = (p1 - p2) / np.sqrt(pool * (1 - pool) * (1 / 500 + 1 / 800))
    assert z.score == pytest.approx(2 * (1 - stats.norm.cdf(abs(zz))), rel=1e-9)


def test_distances_on_categories_match_formulas():
    rng = np.random.default_rng(2)
    ref, cur = rng.choice(list("abcd"), 3000), rng.choice(list("abcde"), 2000)
    keys = sorted(set(ref) | set(cur))
    r = np.array([(ref == k).mean() for k in keys])
    c = np.array([(cur == k).mean() for k in keys])
    js = _one(ref, cur, kind="categorical")
    assert js.method == "jensenshannon"
    assert js.score == pytest.approx(distance.jensenshannon(r, c), rel=1e-9)
    hel = _one(ref, cur, kind="categorical", method="hellinger")
    assert hel.score == pytest.approx(np.sqrt(1 - np.sum(np.sqrt(r * c))), rel=1e-9)
    psi = _one(ref, cur, kind="categorical", method="psi")
    rr, cc = r.copy(), c.copy()
    rr[rr == 0], cc[cc == 0] = 0.0001, 0.0001
    assert psi.score == pytest.approx(np.sum((rr - cc) * np.log(rr / cc)), rel=1e-9)
    assert psi.drifted  # new category 'e'


@pytest.mark.parametrize("method", ["psi", "jensenshannon", "hellinger"])
def test_binned_numeric_methods_close_to_evidently(method, data):
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    ref, cur = data
    c = _one(ref, cur, method=method)
    test = get_stattest(None, None, ColumnType.Numerical, method)
    ev = test(pl.Series(ref).to_pandas(), pl.Series(cur).to_pandas(), ColumnType.Numerical, None).drift_score
    # binned overrides: current masses interpolated within reference cells (docs/drift.md)
    assert c.score == pytest.approx(ev, abs=0.02)


def test_override_threshold_and_method_are_used(data):
    ref, cur = data
    c = _one(ref, cur, method="wasserstein")
    spec = [ColumnSpec("x", "numeric", method="wasserstein", threshold=c.score * 2)]
    r = compare(build_sketch(pl.DataFrame({"x": ref}), spec), pl.DataFrame({"x": cur}), spec)
    assert r.columns[0].threshold == c.score * 2 and not r.columns[0].drifted


def test_sketch_roundtrip_and_version_stable(data):
    ref, _ = data
    spec = [ColumnSpec("x", "numeric")]
    a, b = build_sketch(pl.DataFrame({"x": ref}), spec), build_sketch(pl.DataFrame({"x": ref}), spec)
    assert a.version == b.version == BaselineSketch.from_bytes(a.to_bytes()).version
    c = build_sketch(pl.DataFrame({"x": ref + 1}), spec)
    assert c.version != a.version
    assert a.n_rows == len(ref)


def test_learned_thresholds_stored_and_used():
    rng = np.random.default_rng(5)
    ref = pl.DataFrame({"x": rng.normal(size=50_000), "c": rng.choice(list("abc"), 50_000)})
    specs = [ColumnSpec("x", "numeric"), ColumnSpec("c", "categorical")]
    s = DriftSettings(learned_thresholds=True)
    sk = BaselineSketch.from_bytes(build_sketch(ref, specs, s).to_bytes())
    assert sk.columns["x"].learned["wasserstein"]["upper"] > 0
    same = pl.DataFrame({"x": rng.normal(size=50_000), "c": rng.choice(list("abc"), 50_000)})
    res = compare(sk, same, specs, s)
    assert all(c.stats["threshold_source"] == "learned" and not c.drifted for c in res.columns)
    moved = pl.DataFrame({"x": rng.normal(0.2, size=50_000), "c": rng.choice(list("abc"), 50_000)})
    assert compare(sk, moved, specs, s).column("x").drifted
