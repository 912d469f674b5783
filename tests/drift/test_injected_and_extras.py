"""Injected drift: recall and false-alarm rate; prediction/multivariate/performance parts; reports; CLI."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare
from infranaut_pipelines.drift.cli import main
from infranaut_pipelines.reports import render_csv, render_html, render_json


@pytest.mark.parametrize("n", [1000, 100_000])
def test_recall_and_false_alarms(n: int) -> None:
    rng = np.random.default_rng(n)
    cols = 10
    ref = pl.DataFrame({f"x{i}": rng.normal(size=n) for i in range(cols)})
    specs = [ColumnSpec(f"x{i}", "numeric") for i in range(cols)]
    sk = build_sketch(ref, specs)
    trials, hits, alarms = 4, 0, 0
    for _ in range(trials):
        # first half of the columns shifted by 0.5 sd (small n) / 0.2 sd (large n), the rest untouched
        shift = 0.5 if n <= 1000 else 0.2
        cur = pl.DataFrame({f"x{i}": rng.normal(shift if i < cols // 2 else 0, 1, n) for i in range(cols)})
        res = compare(sk, cur, specs)
        hits += sum(res.column(f"x{i}").drifted for i in range(cols // 2))
        alarms += sum(res.column(f"x{i}").drifted for i in range(cols // 2, cols))
    recall, far = hits / (trials * cols // 2), alarms / (trials * cols // 2)
    print(f"n={n}: recall={recall:.2f} false_alarm_rate={far:.2f}")
    assert recall == 1.0
    assert far <= 0.15


def test_prediction_multivariate_and_performance() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    a = rng.normal(size=n)
    b = a + rng.normal(scale=0.3, size=n)  # strongly correlated pair
    c = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * a))).astype(int)
    score = 1 / (1 + np.exp(-2 * a))
    ref = pl.DataFrame({"a": a, "b": b, "c": c, "score": score})
    specs = [ColumnSpec("a", "numeric"), ColumnSpec("b", "numeric"), ColumnSpec("c", "numeric"),
             ColumnSpec("score", "numeric", role="prediction")]
    s = DriftSettings(task="binary_classification")
    sk = build_sketch(ref, specs, s, labels=pl.Series(y))
    # same marginals, broken correlation: per-column drift sees nothing, PCA does
    a2 = rng.normal(size=n)
    b2 = rng.permutation(a2 + rng.normal(scale=0.3, size=n))
    s2 = 1 / (1 + np.exp(-2 * a2))
    y2 = (rng.random(n) < 0.5).astype(int)  # concept drift: labels no longer follow the score
    cur = pl.DataFrame({"a": a2, "b": b2, "c": rng.normal(size=n), "score": s2})
    res = compare(sk, cur, specs, s, labels=pl.Series(y2))
    assert res.prediction_drift is not None and res.prediction_drift.name == "score"
    assert res.prediction_drift.role == "prediction" and len(res.features) == 3
    assert not any(c.drifted for c in res.features)
    assert res.multivariate.drifted and res.multivariate.current_error > res.multivariate.upper
    assert res.performance.degraded and res.performance.metrics["accuracy"].degraded
    est = res.estimated_performance
    assert est.estimated == pytest.approx(est.reference_estimated, abs=0.02)
    assert est.reference_estimated == pytest.approx(est.reference_actual, abs=0.02)
    json.dumps(res.to_dict(), allow_nan=False)


def _small_result():
    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"x": rng.normal(size=2000), "cat": rng.choice(["<script>alert(1)</script>", "b"], 2000)})
    cur = pl.DataFrame({"x": rng.normal(1, size=2000), "cat": rng.choice(["<img src=x onerror=1>", "b"], 2000)})
    specs = [ColumnSpec("x", "numeric"), ColumnSpec("cat", "categorical")]
    return compare(build_sketch(ref, specs), cur, specs)


def test_html_escapes_and_is_self_contained() -> None:
    html = render_html(_small_result(), "Drift <b>report</b>", {"model": "<i>m</i>", "day": "2024-01-01"})
    assert "<script>" not in html and "<img" not in html and "<i>m</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=1&gt;" in html
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert len(html.encode()) < 500_000


def test_json_and_csv() -> None:
    res = _small_result()
    d = json.loads(render_json(res, {"model": "m"}))
    assert d["result"]["dataset_drift"] is True and d["context"] == {"model": "m"}
    lines = render_csv(res).strip().splitlines()
    assert lines[0].startswith("column,kind,role,method,score") and len(lines) == 3


def test_cli(tmp_path, capsys) -> None:
    rng = np.random.default_rng(4)
    pl.DataFrame({"x": rng.normal(size=1500), "g": rng.integers(0, 3, 1500)}).write_parquet(tmp_path / "r.parquet")
    pl.DataFrame({"x": rng.normal(2, size=1500), "g": rng.integers(0, 3, 1500)}).write_csv(tmp_path / "c.csv")
    rc = main([str(tmp_path / "r.parquet"), str(tmp_path / "c.csv"), "--categorical", "g",
               "--json", str(tmp_path / "o.json"), "--html", str(tmp_path / "o.html")])
    out = capsys.readouterr().out
    assert rc == 1 and "wasserstein" in out and "dataset drift: YES" in out  # x drifts: share 1/2 >= 0.5
    assert json.loads((tmp_path / "o.json").read_text())["result"]["columns"][1]["kind"] == "categorical"
    assert (tmp_path / "o.html").read_text().startswith("<!doctype html>")
    assert main([str(tmp_path / "r.parquet"), str(tmp_path / "c.csv"), "--columns", "nope"]) == 2
