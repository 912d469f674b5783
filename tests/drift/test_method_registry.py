"""The method registry is the one declaration of a method: spec, scoring, compare and the alert signals
all read it, so a record's threshold, direction and kinds are what a verdict uses."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from infranaut_pipelines.drift import ColumnSpec, build_sketch, compare, method_registry
from infranaut_pipelines.drift.spec import normalise_method
from infranaut_pipelines.monitoring.signals import normalised_score


def test_every_alias_resolves_to_its_record_and_unknown_names_list_the_known() -> None:
    for d in method_registry.METHODS:
        assert normalise_method(d.name.upper()) == d.name
        for a in d.aliases:
            assert normalise_method(a) == d.name
    with pytest.raises(ValueError, match="known: " + ", ".join(method_registry.method_names())):
        normalise_method("not_a_method")


def test_direction_and_threshold_equality() -> None:
    for d in method_registry.METHODS:
        t = d.default_threshold
        small, big = t / 2, t * 2
        assert d.is_drift(small, t) is d.lower_is_drift
        assert d.is_drift(big, t) is not d.lower_is_drift
        assert not d.is_drift(float("nan"), t)
    # Evidently's edges: KS drifts at p == threshold, chi-square / z do not, distances do
    assert [method_registry.get(n).is_drift(0.05, 0.05) for n in ("ks", "chisquare", "z")] == [True, False, False]
    assert method_registry.get("psi").is_drift(0.1, 0.1)


@pytest.mark.parametrize("d", method_registry.METHODS, ids=lambda d: d.name)
def test_each_method_scores_each_of_its_kinds_with_its_own_threshold_and_direction(d) -> None:
    rng = np.random.default_rng(5)
    # few distinct values, so the counts tests apply to numeric columns too
    ref = pl.DataFrame({"n": rng.integers(0, 4, 3000).astype(float), "c": rng.choice(list("abcd"), 3000)})
    cur = pl.DataFrame({"n": rng.integers(1, 5, 3000).astype(float),
                        "c": rng.choice(list("abcd"), 3000, p=[0.7, 0.1, 0.1, 0.1])})
    for kind, col in (("numeric", "n"), ("categorical", "c")):
        spec = [ColumnSpec(col, kind, method=d.name)]
        c = compare(build_sketch(ref, spec), cur, spec).columns[0]
        if kind not in d.kinds:
            assert c.error and "needs a" in c.error
            continue
        assert c.error is None and c.method == d.name
        assert c.threshold == d.default_threshold
        assert c.drifted and c.drifted == d.is_drift(c.score, c.threshold)
        # the alert signal puts every method on one scale: >= 1 is over the threshold
        assert normalised_score(c.method, c.score, c.threshold) >= 1.0

