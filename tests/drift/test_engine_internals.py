"""The fast paths of the engine agree with the plain computations they replace."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from infranaut_pipelines.drift import multivariate
from infranaut_pipelines.drift.numeric import EXACT_UNIQUE, make_edges


@pytest.mark.parametrize("values", [
    np.array([0.0, -0.0, 1.5, 1.5, 2.0, -3.0]),  # -0.0 and 0.0 are one value, as for np.unique
    np.random.default_rng(1).integers(0, 50, 10_000).astype(float),  # exact ECDF
    np.random.default_rng(2).normal(size=50_000),  # quantile grid
], ids=["signed-zero", "few-values", "continuous"])
def test_make_edges_is_np_unique_of_the_grid(values: np.ndarray) -> None:
    xs = np.sort(values)
    edges, exact = make_edges(xs)
    uniq = np.unique(xs)
    assert exact == (uniq.size <= EXACT_UNIQUE)
    if exact:
        np.testing.assert_array_equal(edges, uniq)
    else:
        idx = np.round(np.linspace(0, xs.size - 1, 4097)).astype(np.int64)
        np.testing.assert_array_equal(edges, np.unique(xs[idx]))


def test_projector_errors_equal_the_dense_reconstruction_error() -> None:
    rng = np.random.default_rng(4)
    n = 3000

    def frame(sign: float) -> pl.DataFrame:
        a = rng.normal(size=n)
        return pl.DataFrame({
            "a": a, "b": sign * a + rng.normal(0, 0.3, n),
            "c": pl.Series(rng.choice(list("pqrs"), n)).set(pl.Series(rng.random(n) < 0.05), None),
            "d": rng.choice([f"v{i}" for i in range(30)], n),  # more values than the one-hot keeps
            "e": rng.choice(["x", "y"], n),
        }).with_columns(pl.when(pl.int_range(n) % 97 == 0).then(None).otherwise(pl.col("a")).alias("a"))

    ref, cur = frame(1.0), frame(-1.0).with_columns(pl.col("d").str.replace("v1", "new"))
    model = multivariate.fit(ref, ["a", "b"], 10, ["c", "d", "e"])
    enc, mean, std = model["encoding"], np.asarray(model["mean"]), np.asarray(model["std"])
    comps = np.asarray(model["components"])
    z = multivariate._dense(cur, enc, mean, std)
    expected = np.linalg.norm(z - (z @ comps.T) @ comps, axis=1)
    got = multivariate._blocked_errors(cur, enc, mean, std, comps)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)  # float32 projection
    # the fitted band was measured the same way
    assert multivariate._blocked_errors(ref, enc, mean, std, comps).mean() == pytest.approx(model["reference_error"])


def test_multivariate_result_round_trips_through_its_stored_json() -> None:
    import json

    from infranaut_pipelines.drift import ColumnSpec, build_sketch, compare
    from infranaut_pipelines.drift.multivariate_result import MultivariateResult

    rng = np.random.default_rng(8)
    frame = pl.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000), "c": rng.choice(list("xyz"), 2000)})
    specs = [ColumnSpec("a", "numeric"), ColumnSpec("b", "numeric"), ColumnSpec("c", "categorical")]
    for cur in (frame, frame.head(5)):  # scored, and too few rows (which adds status_detail)
        mv = compare(build_sketch(frame, specs), cur, specs).multivariate
        stored = json.loads(json.dumps(mv.to_dict()))
        assert MultivariateResult.from_dict(stored) == mv
        assert ("status_detail" in stored) == (mv.status == "too few rows") and "note" not in stored
