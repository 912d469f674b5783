"""Bad input never raises out of compare(): each case has a defined verdict or a per-column error."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl

from infranaut_pipelines.drift import ColumnSpec, DriftSettings, build_sketch, compare

rng = np.random.default_rng(11)
REF = pl.DataFrame({
    "x": rng.normal(size=3000), "k": np.full(3000, 7.0), "c": rng.choice(list("abc"), 3000),
    "nulls": pl.Series([None] * 3000, dtype=pl.Float64),
})
SPECS = [ColumnSpec("x", "numeric"), ColumnSpec("k", "numeric"), ColumnSpec("c", "categorical"),
         ColumnSpec("nulls", "numeric")]
SKETCH = build_sketch(REF, SPECS)


def _check_json_safe(res) -> dict:
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)  # raises on NaN/inf
    assert "NaN" not in text
    res.to_frame()
    return d


def test_empty_current():
    res = compare(SKETCH, REF.head(0), SPECS)
    assert res.n_current == 0 and not res.dataset_drift
    assert all(c.error for c in res.columns)
    assert res.column("x").error == "current data is empty"
    _check_json_safe(res)


def test_missing_column_and_all_null_reference_column():
    res = compare(SKETCH, REF.drop("c").head(500), SPECS)
    assert res.column("c").error == "column missing from current data"
    assert res.column("nulls").error.startswith("reference:")
    assert res.column("x").error is None and not res.column("x").drifted


def test_all_null_current_column():
    cur = REF.head(500).with_columns(pl.lit(None, dtype=pl.Float64).alias("x"))
    assert "no usable" in compare(SKETCH, cur, SPECS).column("x").error


def test_constant_column_defined_verdict():
    res = compare(SKETCH, REF.head(1000), SPECS)
    k = res.column("k")
    assert k.error is None and k.method == "jensenshannon" and not k.drifted
    moved = REF.head(1000).with_columns(pl.lit(8.0).alias("k"))
    assert compare(SKETCH, moved, SPECS).column("k").drifted


def test_nan_inf_dropped_and_counted():
    x = rng.normal(size=2000)
    x[:100], x[100:150] = np.nan, np.inf
    cur = REF.head(2000).with_columns(pl.Series("x", x))
    c = compare(SKETCH, cur, SPECS).column("x")
    assert c.error is None and c.stats["cur_nan"] == 100 and c.stats["cur_inf"] == 50 and c.stats["n_cur"] == 1850
    assert math.isfinite(c.score)


def test_new_category_is_drift_and_listed():
    cur = REF.head(2000).with_columns(pl.Series("c", rng.choice(["a", "b", "c", "zz"], 2000)))
    c = compare(SKETCH, cur, SPECS).column("c")
    assert c.drifted and c.stats["new_categories"] == ["zz"] and c.stats["n_new_categories"] == 1


def test_mixed_types():
    # numbers arriving as strings parse; junk strings are an error, not an exception
    as_text = REF.head(1000).with_columns(pl.col("x").cast(pl.String))
    assert compare(SKETCH, as_text, SPECS).column("x").error is None
    junk = REF.head(1000).with_columns(pl.lit("oops").alias("x"))
    assert "expected numeric" in compare(SKETCH, junk, SPECS).column("x").error
    partly = REF.head(1000).with_columns(
        pl.when(pl.int_range(pl.len()) < 10).then(pl.lit("n/a")).otherwise(pl.col("x").cast(pl.String)).alias("x"))
    c = compare(SKETCH, partly, SPECS).column("x")
    assert c.error is None and c.stats["cur_unparsed"] == 10
    # numbers in a categorical column are categories
    nums = REF.head(1000).with_columns(pl.Series("c", rng.integers(0, 3, 1000)))
    assert compare(SKETCH, nums, SPECS).column("c").error is None


def test_bad_method_for_kind_and_unknown_column():
    specs = [ColumnSpec("c", "categorical", method="wasserstein"), ColumnSpec("ghost", "numeric")]
    res = compare(SKETCH, REF.head(100), specs)
    assert "numeric column" in res.column("c").error
    assert "not in the baseline" in res.column("ghost").error
    _check_json_safe(res)


def test_lazyframe_and_batches_equal_dataframe():
    cur = pl.DataFrame({"x": rng.normal(0.1, size=5000), "k": np.full(5000, 7.0),
                        "c": rng.choice(list("abc"), 5000), "nulls": [None] * 5000})
    whole = compare(SKETCH, cur, SPECS)
    batched = compare(SKETCH, cur.lazy(), SPECS, DriftSettings(batch_rows=777))
    for a, b in zip(whole.columns, batched.columns):
        assert a.method == b.method and a.drifted == b.drifted and a.error == b.error
        if a.score is not None:
            assert abs(a.score - b.score) < 1e-9
