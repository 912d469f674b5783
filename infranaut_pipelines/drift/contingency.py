"""Two-sample tests on category counts: the default for ``chisquare`` and ``z``.

Evidently 0.7 (and ``methods.chisquare``) runs a goodness-of-fit test that treats the reference
proportions as exact. They are themselves a sample, so with equal sizes the statistic is about twice
what it should be and two samples of one distribution are flagged far above the nominal rate (21
levels at n = 500: 18 times in 20). Here both samples are treated as samples: a chi-square test of
homogeneity on the 2 x k table (reference counts, current counts).

Small expected counts make the chi-square approximation unreliable (Cochran's rule: every expected
count should be >= 5). So, before testing, categories whose expected count in the smaller sample is
below ``MIN_EXPECTED`` are merged into one cell; if that cell is itself still below it, the rarest
remaining categories are folded in until it is not. A 2 x 2 table that still has an expected count
below 5 is tested exactly (Fisher). One cell left means nothing to compare: p = 1.
"""

from __future__ import annotations

import numpy as np

from infranaut_pipelines.drift import methods as m

MIN_EXPECTED = 5.0


def merge_sparse(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Merge categories with expected count < MIN_EXPECTED (see module doc); returns the merged
    reference and current counts and how many categories went into the merged cell."""
    nonzero = (r + c) > 0
    r, c = r[nonzero], c[nonzero]
    total = r + c
    n, small = float(total.sum()), float(min(r.sum(), c.sum()))
    # the smaller sample has the smaller expected count in every category
    sparse = total * small / n < MIN_EXPECTED
    if not sparse.any():
        return r, c, 0
    mr, mc = float(r[sparse].sum()), float(c[sparse].sum())
    kept = np.flatnonzero(~sparse)
    kept = kept[np.argsort(total[kept], kind="stable")]  # rarest first
    i = 0
    while (mr + mc) * small / n < MIN_EXPECTED and i < kept.size:
        mr, mc = mr + r[kept[i]], mc + c[kept[i]]
        i += 1
    rest = kept[i:]
    return np.append(r[rest], mr), np.append(c[rest], mc), int(sparse.sum()) + i


def _expected_min(table: np.ndarray) -> float:
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    return float((np.outer(rows, cols) / table.sum()).min())


def _two_by_two(table: np.ndarray) -> tuple[float, str]:
    from scipy import stats  # here, not at import: see methods.py

    if _expected_min(table) < MIN_EXPECTED:
        return float(stats.fisher_exact(table.astype(np.int64))[1]), "fisher_exact"
    # uncorrected, so a binary column gets the same p-value as the pooled two-proportion z-test
    return float(stats.chi2_contingency(table, correction=False)[1]), "chi2_contingency"


def chisquare_two_sample(ref: dict, cur: dict) -> dict:
    """Chi-square test of homogeneity, sparse categories merged; ``statistic`` stays Evidently's
    effect size so learned thresholds mean the same in both modes."""
    from scipy import stats

    _, r, c = m._align(ref, cur)
    effect = m.chisquare(ref, cur)["statistic"]
    r2, c2, merged = merge_sparse(r, c)
    out = {"statistic": effect, "merged_categories": merged, "cells": int(r2.size)}
    if r2.size < 2:
        return {**out, "score": 1.0, "test": "none (one cell after merging)"}
    table = np.vstack([r2, c2])
    if r2.size == 2:
        p, test = _two_by_two(table)
    else:
        p, test = float(stats.chi2_contingency(table, correction=False)[1]), "chi2_contingency"
    return {**out, "score": p, "test": test}


def ztest_two_sample(ref: dict, cur: dict) -> dict:
    """The pooled two-proportion z-test is already a two-sample test (Evidently's too); only its
    normal approximation needs guarding: Fisher's exact test when an expected count is below 5."""
    from scipy import stats

    keys, r, c = m._align(ref, cur)
    res = m.ztest(ref, cur)
    if len(keys) != 2:
        return {**res, "test": "z"}
    table = np.vstack([r, c])
    if _expected_min(table) < MIN_EXPECTED:
        return {**res, "score": float(stats.fisher_exact(table.astype(np.int64))[1]), "test": "fisher_exact"}
    return {**res, "test": "z"}
