"""Small samples: two-sample counts tests hold their nominal false-alarm rate, real shifts are still
found, too-small columns are reported rather than scored, and evidently_compatible keeps the old
(goodness-of-fit) verdicts."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare
from infranaut_pipelines.drift.contingency import MIN_EXPECTED, merge_sparse

ALPHA = 0.05
EVIDENTLY = DriftSettings(evidently_compatible=True)


def _levels(k: int) -> tuple[list[str], np.ndarray]:
    p = np.linspace(3, 1, k)  # unequal, so the rarest levels have small expected counts at n = 100
    return [f"v{i:02d}" for i in range(k)], p / p.sum()


def _flag_rate(k: int, n: int, trials: int, settings: DriftSettings | None, cur_p: np.ndarray | None = None) -> float:
    rng = np.random.default_rng(1000 * k + n)
    names, p = _levels(k)
    spec = [ColumnSpec("c", "categorical")]
    flagged = 0
    for _ in range(trials):
        ref = pl.DataFrame({"c": rng.choice(names, n, p=p)})
        cur = pl.DataFrame({"c": rng.choice(names, n, p=p if cur_p is None else cur_p)})
        flagged += compare(build_sketch(ref, spec, settings), cur, spec, settings).columns[0].drifted
    return flagged / trials


@pytest.mark.parametrize("k", [2, 4, 21])
def test_same_distribution_not_flagged_beyond_nominal_rate(k: int) -> None:
    trials = 200
    limit = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / trials)  # 0.096
    assert _flag_rate(k, 500, trials, None) <= limit


def test_evidently_compatible_keeps_its_false_alarms() -> None:
    # the defect the default fixes, reproduced on purpose in evidently_compatible mode
    assert _flag_rate(21, 500, 100, EVIDENTLY) > 0.5
    assert _flag_rate(4, 500, 100, EVIDENTLY) > 0.15


def test_real_shift_still_detected() -> None:
    names, p = _levels(21)
    shifted = p.copy()
    shifted[:5] *= 2.5  # the five most common levels gain mass (33% -> 56% of rows)
    shifted /= shifted.sum()
    assert _flag_rate(21, 500, 50, None, shifted) >= 0.9


def test_sparse_cells_merged_until_expected_counts_reach_five() -> None:
    r = np.array([200.0, 150, 100, 3, 2, 1, 0])
    c = np.array([190.0, 160, 95, 4, 1, 0, 2])
    r2, c2, merged = merge_sparse(r, c)
    assert merged == 4 and r2.sum() == r.sum() and c2.sum() == c.sum()
    table = np.vstack([r2, c2])
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    assert expected.min() >= MIN_EXPECTED


def test_small_binary_uses_fisher_exact() -> None:
    # 7 "y" in 80 rows: expected 3.5 per sample, too few for the normal approximation
    ref = pl.DataFrame({"b": ["y"] * 1 + ["n"] * 39})
    cur = pl.DataFrame({"b": ["y"] * 6 + ["n"] * 34})
    spec = [ColumnSpec("b", "categorical")]
    col = compare(build_sketch(ref, spec), cur, spec).columns[0]
    assert col.method == "z" and col.stats["test"] == "fisher_exact"
    assert col.score == pytest.approx(stats.fisher_exact([[39, 1], [34, 6]]).pvalue, rel=1e-12)


def test_one_row_current_is_too_few_rows() -> None:
    rng = np.random.default_rng(5)
    ref = pl.DataFrame({"x": rng.normal(size=800), "c": rng.choice(list("abc"), 800)})
    specs = [ColumnSpec("x", "numeric"), ColumnSpec("c", "categorical")]
    sk = build_sketch(ref, specs)
    res = compare(sk, ref.head(1), specs)
    for c in res.columns:
        assert c.status == "too few rows" and c.score is None and not c.drifted and c.error is None
        assert c.stats["status_detail"] == "1 usable current values, minimum 30"
    assert not res.dataset_drift and res.n_too_few_rows == 2 and res.drift_share == 0.0
    d = res.to_dict()
    assert d["columns"][0]["status"] == "too few rows" and d["n_too_few_rows"] == 2
    assert res.to_frame()["status"].to_list() == ["too few rows"] * 2
    # evidently_compatible scores it anyway, as Evidently does
    ev = compare(build_sketch(ref, specs, EVIDENTLY), ref.head(1), specs, EVIDENTLY)
    assert all(c.status == "scored" and c.score is not None for c in ev.columns)


def test_too_few_rows_is_out_of_the_share_denominator() -> None:
    rng = np.random.default_rng(6)
    n = 600
    ref = pl.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "sparse": rng.normal(size=n)})
    cur = pl.DataFrame({"a": rng.normal(1, 1, n), "b": rng.normal(size=n),
                        "sparse": [None] * (n - 10) + rng.normal(size=10).tolist()})
    specs = [ColumnSpec(c, "numeric") for c in ("a", "b", "sparse")]
    res = compare(build_sketch(ref, specs), cur, specs)
    assert res.column("sparse").status == "too few rows"
    assert res.column("a").drifted and not res.column("b").drifted
    assert res.drift_share == pytest.approx(0.5) and res.dataset_drift  # 1 of 2 scored, not 1 of 3


def test_evidently_compatible_reproduces_goodness_of_fit() -> None:
    rng = np.random.default_rng(8)
    names, p = _levels(4)
    ref, cur = rng.choice(names, 400, p=p), rng.choice(names, 400, p=p)
    spec = [ColumnSpec("c", "categorical")]
    col = compare(build_sketch(pl.DataFrame({"c": ref}), spec, EVIDENTLY), pl.DataFrame({"c": cur}), spec,
                  EVIDENTLY).columns[0]
    obs = [(cur == k).sum() for k in names]
    exp = [(ref == k).sum() for k in names]  # equal sizes: expected = reference counts
    assert col.score == pytest.approx(stats.chisquare(obs, exp).pvalue, rel=1e-9)
    assert col.drifted == (col.score < ALPHA)
