"""The statistics, on summaries rather than raw rows. Each mirrors Evidently 0.7's implementation
(``evidently/legacy/calculations/stattests/*.py``) so scores are comparable; differences are noted.

scipy is imported inside the functions that need it: the distances a large reference uses (Wasserstein,
Jensen-Shannon) need none of it, and ``import scipy.stats`` alone is about a second of the CLI's start."""

from __future__ import annotations

import math

import numpy as np

from infranaut_pipelines.drift.numeric import NumericSummary, ks_statistic, wasserstein


def ks_pvalue(d: float, n1: int, n2: int) -> float:
    """scipy.stats.ks_2samp's p-value for a given statistic (method='auto', two-sided)."""
    from scipy import stats

    if max(n1, n2) <= 10000:
        try:  # same private routine ks_2samp uses for its exact branch
            from scipy.stats._stats_py import _attempt_exact_2kssamp

            ok, _, prob = _attempt_exact_2kssamp(n1, n2, math.gcd(n1, n2), d, "two-sided")
            if ok:
                return float(np.clip(prob, 0, 1))
        except Exception:  # pragma: no cover - private API moved: fall back to the asymptotic form
            pass
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(stats.kstwo.sf(d, np.round(en)), 0, 1))


def ks(ref: NumericSummary, cur: NumericSummary) -> dict:
    d, upper = ks_statistic(ref, cur)
    return {"score": ks_pvalue(d, ref.n, cur.n), "statistic": d, "statistic_upper_bound": upper}


def wasserstein_norm(ref: NumericSummary, cur: NumericSummary, ref_std: float) -> dict:
    w, bound = wasserstein(ref, cur)
    norm = max(ref_std, 0.001)  # Evidently's floor, so a constant reference does not divide by zero
    return {"score": w / norm, "statistic": w / norm, "error_bound": bound / norm}


def _align(ref: dict, cur: dict) -> tuple[list, np.ndarray, np.ndarray]:
    keys = list(set(ref) | set(cur))
    try:
        keys.sort()
    except TypeError:
        keys.sort(key=str)
    return keys, np.array([ref.get(k, 0) for k in keys], float), np.array([cur.get(k, 0) for k in keys], float)


def _fill_zeroes(p: np.ndarray) -> np.ndarray:
    nz = p[p != 0]
    if nz.size == 0:
        return p
    m = nz.min()
    out = p.copy()
    out[out == 0] = m / 10**6 if m <= 0.0001 else 0.0001
    return out


def chisquare(ref: dict, cur: dict) -> dict:
    _, r, c = _align(ref, cur)
    nr, nc = r.sum(), c.sum()
    exp = r * nc / nr
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(exp > 0, (c - exp) ** 2 / np.where(exp > 0, exp, 1), np.where(c > 0, np.inf, 0.0))
    stat = float(terms.sum())
    dof = max(len(r) - 1, 1)
    from scipy import special  # chdtrc is what scipy.stats.chi2.sf evaluates

    p = 0.0 if math.isinf(stat) else float(special.chdtrc(dof, stat))
    # Cramer's V style effect size: what learned thresholds compare, since p-values shrink with n
    return {"score": p, "statistic": math.sqrt(stat / (nc * dof)) if not math.isinf(stat) else 1.0}


def ztest(ref: dict, cur: dict) -> dict:
    keys, r, c = _align(ref, cur)
    nr, nc = r.sum(), c.sum()
    if len(keys) <= 1:
        return {"score": 1.0, "statistic": 0.0}
    # proportion of rows that are not the first key (Evidently's encoding)
    p1, p2 = 1 - r[0] / nr, 1 - c[0] / nc
    pooled = (p1 * nr + p2 * nc) / (nr + nc)
    denom = math.sqrt(pooled * (1 - pooled) * (1 / nr + 1 / nc))
    if denom == 0:
        return {"score": 1.0 if p1 == p2 else 0.0, "statistic": abs(p1 - p2)}
    z = (p1 - p2) / denom
    from scipy import special  # ndtr is what scipy.stats.norm.cdf evaluates

    return {"score": float(2 * (1 - special.ndtr(abs(z)))), "statistic": abs(p1 - p2)}


def _rel_entr_sum(x: np.ndarray, y: np.ndarray) -> float:
    """sum(scipy.special.rel_entr(x, y)) where y > 0 wherever x > 0 (true for y = a mixture of x)."""
    pos = x > 0
    return float(np.sum(x[pos] * np.log(x[pos] / y[pos])))


def jensenshannon(r: np.ndarray, c: np.ndarray) -> dict:
    """scipy.spatial.distance.jensenshannon(r / r.sum(), c / c.sum()), the same steps in numpy."""
    p, q = r / r.sum(), c / c.sum()
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2.0
    v = float(np.sqrt((_rel_entr_sum(p, m) + _rel_entr_sum(q, m)) / 2.0))
    return {"score": v, "statistic": v}


def psi(r: np.ndarray, c: np.ndarray) -> dict:
    rp, cp = _fill_zeroes(r / r.sum()), _fill_zeroes(c / c.sum())
    v = float(np.sum((rp - cp) * np.log(rp / cp)))
    return {"score": v, "statistic": v}


def hellinger(r: np.ndarray, c: np.ndarray) -> dict:
    bc = float(np.clip(np.sum(np.sqrt((r / r.sum()) * (c / c.sum()))), 0, 1))
    v = math.sqrt(1 - bc)
    return {"score": v, "statistic": v}


def sturges_bins(lo: float, hi: float, n: int) -> np.ndarray:
    nbins = max(int(np.ceil(np.log2(max(n, 1)) + 1)), 1)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5  # numpy's behaviour for a zero-width range
    return np.linspace(lo, hi, nbins + 1)


def binned_masses(ref: NumericSummary, cur: NumericSummary, n_for_bins: int,
                  ref_exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Histogram masses on Sturges bins over the combined range: the reference's exact when its
    ECDF is stored exactly, otherwise (and always for current) from interpolated CDFs."""
    bins = sturges_bins(min(ref.vmin, cur.vmin), max(ref.vmax, cur.vmax), n_for_bins)
    if ref_exact:  # count of reference values < b, i.e. numpy.histogram's half-open bins
        j = np.searchsorted(ref.edges, bins, side="left") - 1
        fr = np.where(j >= 0, ref.R[np.clip(j, 0, None)], 0) / ref.n
    else:
        fr = ref.cdf_at(bins)
    fc = cur.cdf_at(bins)
    fr[0], fc[0], fr[-1], fc[-1] = 0.0, 0.0, 1.0, 1.0
    return np.clip(np.diff(fr), 0, None) * ref.n, np.clip(np.diff(fc), 0, None) * cur.n


def counts_by_key(ref: dict, cur: dict) -> tuple[np.ndarray, np.ndarray]:
    _, r, c = _align(ref, cur)
    return r, c
