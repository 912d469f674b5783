"""A (reference, current) pair of one column's summaries, as a drift method's scoring function sees it.

Methods never touch raw rows: they ask the pair for what they need (the two ECDF summaries, per-value
counts, histogram masses), so every method in the registry works from a stored sketch, and the same
function scores reference chunk-vs-rest pairs for learned thresholds and the real reference-vs-current
pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infranaut_pipelines.drift import methods as m
from infranaut_pipelines.drift.categorical import CategoricalSummary
from infranaut_pipelines.drift.numeric import VALUE_COUNTS_MAX, NumericSummary

UNSEEN = "__unseen__"
APPROX_MASSES = "histogram masses from interpolated CDFs"


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


@dataclass(frozen=True)
class NumericPair:
    ref: NumericSummary
    cur: NumericSummary
    ref_std: float
    exact: bool  # the reference ECDF is stored exactly (edges are all its distinct values)
    n_unique_ref: int
    two_sample: bool = True  # chi-square / z: two-sample (default) or Evidently's goodness of fit
    kind = "numeric"

    def value_counts(self) -> tuple[dict, dict] | None:
        return numeric_value_counts(self.ref, self.cur, self.exact)

    def counts(self, method: str) -> tuple[dict, dict]:
        """Per-value counts, for the counts tests; a continuous column has none."""
        vc = self.value_counts()
        if vc is None:
            raise ValueError(f"{method} on a numeric column needs <= {VALUE_COUNTS_MAX} distinct reference values; "
                             "use ks or wasserstein")
        return vc

    def masses(self, bins_from_distinct: bool = False) -> tuple[np.ndarray, np.ndarray, str | None]:
        """Reference and current masses over common bins, and a note when they are approximate.

        Per value when the column has few values; otherwise Evidently's Sturges bins over the combined
        range, sized from the row count (or, for Hellinger, from the reference's distinct values)."""
        vc = self.value_counts()
        if vc is not None:
            r, c = m.counts_by_key(*vc)
            return r, c, None
        n_bins_from = self.n_unique_ref if bins_from_distinct else self.ref.n + self.cur.n
        r, c = m.binned_masses(self.ref, self.cur, n_bins_from, ref_exact=self.exact)
        return r, c, APPROX_MASSES


@dataclass(frozen=True)
class CategoricalPair:
    ref: CategoricalSummary
    cur: CategoricalSummary
    two_sample: bool = True
    kind = "categorical"

    def counts(self, method: str) -> tuple[dict, dict]:
        return self.ref.counts, self.cur.counts

    def masses(self, bins_from_distinct: bool = False) -> tuple[np.ndarray, np.ndarray, str | None]:
        r, c = m.counts_by_key(self.ref.counts, self.cur.counts)
        return r, c, None


Pair = NumericPair | CategoricalPair
