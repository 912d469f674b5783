"""Size-aware thresholds for the distances: what a distance reads with *no* drift at this many current rows.

A fixed distance threshold (Evidently's 0.1 for normalised Wasserstein and Jensen-Shannon) does not depend
on the current day's size, but the distance between a reference and an unchanged sample does: about
1/sqrt(n). On a 100-row day an unchanged normal column reads Wasserstein ~0.1 and a 21-level column
Jensen-Shannon ~0.2, so the fixed threshold flags most small days (benchmarks/drift_detection_rates.py,
part 2). NannyML meets this by deriving its thresholds from reference chunks of the analysed chunk's
size; here the same idea is computed from the sketch alone: samples of the current day's size are
drawn from the reference's own distribution (its stored ECDF, or its category / value counts), the
distance of each to the reference is measured the same way as the real one, and the floor is their
QUANTILE, scaled by sqrt(1 + n_cur / n_ref) because the real current day is a sample of the true
distribution, not of the reference. A column's threshold is then max(default, floor): the default still
rules large days (the floor falls below it from a few thousand rows, where it is not computed), and an
explicit per-column threshold is never changed. Opt-in (``DriftSettings.size_aware_thresholds``, CLI
``--size-aware-thresholds``); never in ``evidently_compatible`` mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from infranaut_pipelines.drift.numeric import NumericSummary

# null days per floor: enough for a stable 95th percentile where the floor matters (a floor from 200 days
# was ~5% low at 100 rows: 10% false alarms instead of 5), within a fixed budget of drawn values
MIN_TRIALS, MAX_TRIALS, DRAWN_VALUES = 200, 2_000, 200_000
QUANTILE = 0.95  # the floor is the distance an unchanged day exceeds 5% of the time: the tests' alpha
# from here on the floor is below the 0.1 defaults for the columns measured (normal: 0.08 at 1,000 rows; a
# 50-level column: ~0.1); not computed, so large days cost nothing and keep the default threshold
MAX_ROWS = 1_000
def trials(n_cur: int) -> int:
    return int(np.clip(DRAWN_VALUES // max(n_cur, 1), MIN_TRIALS, MAX_TRIALS))


def _scale(n_ref: int, n_cur: int) -> float:
    return math.sqrt(1 + n_cur / max(n_ref, 1))


def _quantile_knots(ref: NumericSummary) -> tuple[np.ndarray, np.ndarray]:
    """The reference's quantile function as stored: piecewise linear in u, flat across an atom at an edge,
    linear across a cell (uniform mass inside), linear from the minimum / to the maximum in the tails."""
    n = ref.n
    u = np.concatenate(([0.0], np.column_stack((ref.L / n, ref.R / n)).ravel(), [1.0]))
    x = np.concatenate(([ref.vmin], np.repeat(ref.edges, 2), [ref.vmax]))
    return u, x


def _null_distances(ref: NumericSummary, n_cur: int, rng: np.random.Generator) -> np.ndarray:
    """W1 (unnormalised) between the reference's stored distribution and ``trials`` days of n_cur values drawn
    from it, in quantile form: W1 = integral over u of |Q_day(u) - Q(u)|, where a day's i-th smallest value
    is Q(U_(i)) for sorted uniforms U. With G = integral of Q (exact on the linear pieces), row i's part is
    q (c - a) - (G(c) - G(a)) + (G(b) - G(c)) - q (b - c) on [a, b] = [(i-1)/n, i/n], q = Q(U_(i)),
    c = U_(i) clipped to [a, b]: O(n) per day, whatever the size of the grid."""
    ku, kx = _quantile_knots(ref)
    gk = np.concatenate(([0.0], np.cumsum((kx[1:] + kx[:-1]) / 2 * np.diff(ku))))

    def big_g(u: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(ku, u, side="right") - 1, 0, ku.size - 2)
        return gk[k] + (u - ku[k]) * (kx[k] + np.interp(u, ku, kx)) / 2

    us = np.sort(rng.random((trials(n_cur), n_cur)), axis=1)
    q = np.interp(us, ku, kx)
    a = np.arange(n_cur) / n_cur
    b = a + 1.0 / n_cur
    c = np.clip(us, a, b)
    ga, gb, gc = big_g(a), big_g(b), big_g(c)
    part = q * (c - a) - (gc - ga) + (gb - gc) - q * (b - c)
    return np.maximum(part, 0.0).sum(axis=1)


def wasserstein_floor(ref: NumericSummary, n_cur: int, ref_std: float) -> float | None:
    if n_cur >= MAX_ROWS or ref.n < 2:
        return None
    rng = np.random.default_rng(n_cur)  # seeded by the size: the same day always gets the same threshold
    dist = _null_distances(ref, n_cur, rng) / max(ref_std, 0.001)
    return float(np.quantile(dist, QUANTILE)) * _scale(ref.n, n_cur)


def masses_floor(stat: Callable[[np.ndarray, np.ndarray], dict], r: np.ndarray, n_cur: int) -> float | None:
    """For a distance on masses (per category, per value or per bin): multinomial days of n_cur rows."""
    n_ref = int(round(r.sum()))
    if n_cur >= MAX_ROWS or n_ref < 2:
        return None
    rng = np.random.default_rng(n_cur)
    draws = rng.multinomial(n_cur, r / r.sum(), size=trials(n_cur)).astype(float)
    many = _MANY.get(stat.__name__)
    dist = many(r, draws) if many else np.array([stat(r, d)["statistic"] for d in draws])
    return float(np.quantile(dist, QUANTILE)) * _scale(n_ref, n_cur)


def _js_many(r: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """methods.jensenshannon of r against each row of draws, at once."""
    p, q = r / r.sum(), draws / draws.sum(axis=1, keepdims=True)
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kp = np.where(p > 0, p * np.log(p / m), 0.0).sum(axis=1)
        kq = np.where(q > 0, q * np.log(q / m), 0.0).sum(axis=1)
    return np.sqrt(np.maximum((kp + kq) / 2, 0.0))


def _hellinger_many(r: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """methods.hellinger of r against each row of draws, at once."""
    bc = np.clip(np.sqrt((r / r.sum()) * (draws / draws.sum(axis=1, keepdims=True))).sum(axis=1), 0, 1)
    return np.sqrt(1 - bc)


_MANY = {"jensenshannon": _js_many, "hellinger": _hellinger_many}
