"""Pick the method for a column and score a (reference, current) pair of summaries.

The same function scores reference chunk-vs-rest pairs for learned thresholds and the real
reference-vs-current pair, so both are measured identically.
"""

from __future__ import annotations

from infranaut_pipelines.drift import contingency
from infranaut_pipelines.drift import methods as m
from infranaut_pipelines.drift.categorical import CategoricalSummary
from infranaut_pipelines.drift.numeric import VALUE_COUNTS_MAX, NumericSummary
from infranaut_pipelines.drift.spec import LOW_CARDINALITY, default_method

UNSEEN = "__unseen__"
NUMERIC_METHODS = ("ks", "wasserstein", "psi", "jensenshannon", "hellinger", "chisquare", "z")
CATEGORICAL_METHODS = ("chisquare", "z", "jensenshannon", "psi", "hellinger")


def numeric_value_counts(ref: NumericSummary, cur: NumericSummary, exact: bool) -> tuple[dict, dict] | None:
    """Per-value counts for low-cardinality numeric columns, or None if the reference is not one."""
    if not exact or len(ref.edges) > VALUE_COUNTS_MAX:
        return None
    rv = ref.values if ref.values is not None else dict(zip(ref.edges.tolist(), (ref.R - ref.L).tolist()))
    if cur.values is not None:
        return rv, cur.values
    # current overflowed value tracking: ref values counted exactly, the rest lumped (see docs/drift.md)
    cv = {k: v for k, v in zip(ref.edges.tolist(), (cur.R - cur.L).tolist()) if v}
    rest = cur.n - sum(cv.values())
    if rest:
        cv[UNSEEN] = rest
    return rv, cv


def n_values_numeric(ref: NumericSummary, cur: NumericSummary, exact: bool, n_unique_ref: int) -> int:
    if n_unique_ref > LOW_CARDINALITY:
        return n_unique_ref
    vc = numeric_value_counts(ref, cur, exact)
    if vc is None or UNSEEN in vc[1]:
        return LOW_CARDINALITY + 1
    return len(set(vc[0]) | set(vc[1]))


def choose_numeric(ref: NumericSummary, cur: NumericSummary, exact: bool, n_unique_ref: int) -> str:
    return default_method("numeric", ref.n, n_values_numeric(ref, cur, exact, n_unique_ref))


def choose_categorical(ref: CategoricalSummary, cur: CategoricalSummary) -> str:
    return default_method("categorical", ref.n, len(set(ref.counts) | set(cur.counts)))


def _counts_test(method: str, ref: dict, cur: dict, two_sample: bool) -> dict:
    """chisquare / z on counts: two-sample by default, Evidently's goodness-of-fit form if not."""
    if method == "chisquare":
        return contingency.chisquare_two_sample(ref, cur) if two_sample else m.chisquare(ref, cur)
    return contingency.ztest_two_sample(ref, cur) if two_sample else m.ztest(ref, cur)


def score_numeric(method: str, ref: NumericSummary, cur: NumericSummary, ref_std: float, exact: bool,
                  n_unique_ref: int, two_sample: bool = True) -> dict:
    if method == "ks":
        return m.ks(ref, cur)
    if method == "wasserstein":
        return m.wasserstein_norm(ref, cur, ref_std)
    vc = numeric_value_counts(ref, cur, exact)
    if method in ("chisquare", "z"):
        if vc is None:
            raise ValueError(f"{method} on a numeric column needs <= {VALUE_COUNTS_MAX} distinct reference values; "
                             "use ks or wasserstein")
        return _counts_test(method, *vc, two_sample)
    if vc is not None:
        r, c = m.counts_by_key(*vc)
        approx = None
    else:
        # Evidently: Sturges bins over the combined range; Hellinger sizes them by distinct values
        n_bins_from = n_unique_ref if method == "hellinger" else ref.n + cur.n
        r, c = m.binned_masses(ref, cur, n_bins_from, ref_exact=exact)
        approx = "histogram masses from interpolated CDFs"
    out = {"jensenshannon": m.jensenshannon, "psi": m.psi, "hellinger": m.hellinger}[method](r, c)
    if approx:
        out["approximation"] = approx
    return out


def score_categorical(method: str, ref: CategoricalSummary, cur: CategoricalSummary, two_sample: bool = True) -> dict:
    if method not in CATEGORICAL_METHODS:
        raise ValueError(f"method {method!r} needs a numeric column")
    if method in ("chisquare", "z"):
        return _counts_test(method, ref.counts, cur.counts, two_sample)
    r, c = m.counts_by_key(ref.counts, cur.counts)
    return {"jensenshannon": m.jensenshannon, "psi": m.psi, "hellinger": m.hellinger}[method](r, c)
