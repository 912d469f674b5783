"""Mergeable summary of one numeric column, relative to a fixed grid of reference "edges".

For each edge e_j we keep L_j = #values < e_j, R_j = #values <= e_j and SL_j = sum of values < e_j.
These cumulative counts/sums are *additive* across batches and across reference chunks, which is
what lets the current data be streamed in slices and the reference be split into chunk/rest pairs
for learned thresholds without touching raw rows again. When the reference has at most
``EXACT_UNIQUE`` distinct values the edges are all of them and the ECDF is stored exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EXACT_UNIQUE = 5000  # up to this many distinct reference values the ECDF is kept exactly
GRID_CELLS = 4096  # otherwise: quantile edges at 4097 probability points (cells of 1/4096 mass)
VALUE_COUNTS_MAX = 20  # Evidently bins by value (not by histogram) up to 20 distinct reference values


@dataclass
class NumericSummary:
    edges: np.ndarray
    n: int = 0  # finite, non-null values
    n_null: int = 0
    n_nan: int = 0
    n_inf: int = 0
    n_unparsed: int = 0
    total: float = 0.0
    total_sq: float = 0.0  # of (x - shift), shift = the reference mean, to limit cancellation
    shift: float = 0.0
    vmin: float = float("inf")
    vmax: float = float("-inf")
    L: np.ndarray = field(default=None)  # type: ignore[assignment]
    R: np.ndarray = field(default=None)  # type: ignore[assignment]
    SL: np.ndarray = field(default=None)  # type: ignore[assignment]
    values: dict[float, int] | None = None  # exact value counts, only for low-cardinality columns
    tracking: bool = False  # whether ``values`` is being maintained

    def __post_init__(self) -> None:
        m = len(self.edges)
        if self.L is None:
            self.L = np.zeros(m, dtype=np.int64)
            self.R = np.zeros(m, dtype=np.int64)
            self.SL = np.zeros(m, dtype=np.float64)

    # -- accumulation -------------------------------------------------------------------------
    def add_sorted(self, xs: np.ndarray) -> None:
        """Add finite values, already sorted ascending."""
        if xs.size == 0:
            return
        lo = np.searchsorted(xs, self.edges, side="left")
        hi = np.searchsorted(xs, self.edges, side="right")
        self.L += lo
        self.R += hi
        # one n-length buffer for both passes (each fresh 8 MB array per million rows costs page faults)
        buf = np.cumsum(xs)
        self.SL += np.where(lo > 0, buf[np.maximum(lo - 1, 0)], 0.0)
        self.n += int(xs.size)
        self.total += float(buf[-1])
        np.subtract(xs, self.shift, out=buf)
        self.total_sq += float(np.dot(buf, buf))
        self.vmin = min(self.vmin, float(xs[0]))
        self.vmax = max(self.vmax, float(xs[-1]))
        if self.tracking:
            u, c = np.unique(xs, return_counts=True)
            vals = self.values if self.values is not None else {}
            if len(vals) + len(u) <= 10_000:  # beyond that it is not low-cardinality; stop tracking
                for v, k in zip(u.tolist(), c.tolist()):
                    vals[v] = vals.get(v, 0) + k
                self.values = vals
            else:
                self.values, self.tracking = None, False

    def minus(self, other: "NumericSummary") -> "NumericSummary":
        """The summary of (self without other): used for reference 'rest' = all - chunk."""
        out = NumericSummary(self.edges, n=self.n - other.n, shift=self.shift, vmin=self.vmin, vmax=self.vmax)
        out.total = self.total - other.total
        if self.values is not None and other.values is not None:
            rest = {k: v - other.values.get(k, 0) for k, v in self.values.items()}
            out.values = {k: v for k, v in rest.items() if v > 0}
        out.L, out.R, out.SL = self.L - other.L, self.R - other.R, self.SL - other.SL
        return out

    # -- derived --------------------------------------------------------------------------------
    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else float("nan")

    @property
    def std(self) -> float:
        if not self.n:
            return float("nan")
        m = self.total / self.n - self.shift
        return float(np.sqrt(max(self.total_sq / self.n - m * m, 0.0)))

    def cdf_at(self, x: np.ndarray) -> np.ndarray:
        """Interpolated CDF (uniform mass within a cell); exact at the edges."""
        e, n = self.edges, max(self.n, 1)
        x = np.asarray(x, dtype=np.float64)
        j = np.searchsorted(e, x, side="right") - 1  # e[j] <= x < e[j+1]
        out = np.empty_like(x)
        below = j < 0
        above = j >= len(e) - 1
        mid = ~(below | above)
        # below the first edge: linear from this summary's own minimum
        lo_span = max(e[0] - self.vmin, 1e-300)
        out[below] = self.L[0] / n * np.clip((x[below] - self.vmin) / lo_span, 0, 1)
        hi_span = max(self.vmax - e[-1], 1e-300)
        out[above] = (self.R[-1] + (n - self.R[-1]) * np.clip((x[above] - e[-1]) / hi_span, 0, 1)) / n
        jm = j[mid]
        w = e[jm + 1] - e[jm]
        frac = (x[mid] - e[jm]) / w
        out[mid] = (self.R[jm] + (self.L[jm + 1] - self.R[jm]) * frac) / n
        return out

    def to_json(self) -> dict:
        return {
            "n": self.n, "n_null": self.n_null, "n_nan": self.n_nan, "n_inf": self.n_inf, "total": self.total,
            "total_sq": self.total_sq, "shift": self.shift, "vmin": self.vmin, "vmax": self.vmax,
            "L": self.L.tolist(), "R": self.R.tolist(), "SL": self.SL.tolist(),
            "values": None if self.values is None else [[k, v] for k, v in sorted(self.values.items())],
        }

    @classmethod
    def from_json(cls, d: dict, edges: np.ndarray) -> "NumericSummary":
        s = cls(edges, n=d["n"], n_null=d["n_null"], n_nan=d["n_nan"], n_inf=d["n_inf"], total=d["total"],
                total_sq=d["total_sq"], shift=d["shift"], vmin=d["vmin"], vmax=d["vmax"],
                L=np.asarray(d["L"], dtype=np.int64), R=np.asarray(d["R"], dtype=np.int64),
                SL=np.asarray(d["SL"], dtype=np.float64))
        s.values = None if d["values"] is None else {float(k): int(v) for k, v in d["values"]}
        return s


def n_distinct(sorted_values: np.ndarray) -> int:
    """Distinct values of a sorted array (-0.0 and 0.0 are one, as for np.unique)."""
    return int(np.count_nonzero(sorted_values[1:] != sorted_values[:-1])) + 1 if sorted_values.size else 0


def make_edges(sorted_ref: np.ndarray) -> tuple[np.ndarray, bool]:
    """All distinct values if few (exact ECDF), else quantile edges at GRID_CELLS+1 probability points.

    The input is sorted already, so distinct values are where it steps (np.unique would sort again)."""
    if sorted_ref.size == 0:
        return sorted_ref.astype(np.float64), True
    step = sorted_ref[1:] != sorted_ref[:-1]
    if np.count_nonzero(step) + 1 <= EXACT_UNIQUE:  # counted first: no index array for a continuous column
        return np.concatenate((sorted_ref[:1], sorted_ref[np.flatnonzero(step) + 1])).astype(np.float64), True
    idx = np.round(np.linspace(0, sorted_ref.size - 1, GRID_CELLS + 1)).astype(np.int64)
    q = sorted_ref[idx]
    return q[np.concatenate(([True], q[1:] != q[:-1]))].astype(np.float64), False


def wasserstein(ref: NumericSummary, cur: NumericSummary) -> tuple[float, float]:
    """W1 = integral |F_ref - F_cur| dx, and an upper bound on the error of the returned value.

    Cell integrals of each CDF are exact (from counts and sums); only cells where F_ref - F_cur may
    change sign lose anything, and there the loss is at most 2*w*min(max positive, max negative part).
    """
    e = ref.edges
    nr, nc = ref.n, cur.n
    # tails outside [e0, e_last]: the reference has no mass there
    below = (cur.L[0] * e[0] - cur.SL[0]) / nc
    n_above = nc - cur.R[-1]
    sum_above = cur.total - cur.SL[-1] - e[-1] * (cur.R[-1] - cur.L[-1])
    above = (sum_above - e[-1] * n_above) / nc
    if len(e) < 2:
        return float(below + above), 0.0
    w = np.diff(e)

    def cell_integral(s: NumericSummary, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = s.L[1:] - s.R[:-1]  # values strictly inside (e_j, e_j+1)
        sm = s.SL[1:] - s.SL[:-1] - e[:-1] * (s.R[:-1] - s.L[:-1])
        integ = (s.R[:-1] * w + c * e[1:] - sm) / n
        return integ, s.R[:-1] / n, s.L[1:] / n  # integral, F at the start of the cell, F just before its end

    ir, r_lo, r_hi = cell_integral(ref, nr)
    ic, c_lo, c_hi = cell_integral(cur, nc)
    diff = ir - ic
    value = float(np.abs(diff).sum() + below + above)
    pos = np.maximum(r_hi - c_lo, 0.0)
    neg = np.maximum(c_hi - r_lo, 0.0)
    bound = float((2 * w * np.minimum(pos, neg)).sum())
    return value, bound


def ks_statistic(ref: NumericSummary, cur: NumericSummary) -> tuple[float, float]:
    """sup |F_ref - F_cur| evaluated at every edge (exact when the edges are all reference values),
    and an upper bound on the true statistic for quantile edges."""
    fr = np.concatenate((ref.L / ref.n, ref.R / ref.n))
    fc = np.concatenate((cur.L / cur.n, cur.R / cur.n))
    d = float(np.max(np.abs(fr - fc))) if fr.size else 0.0
    if len(ref.edges) < 2:
        return d, d
    up = np.maximum(ref.L[1:] / ref.n - cur.R[:-1] / cur.n, cur.L[1:] / cur.n - ref.R[:-1] / ref.n)
    return d, max(d, float(up.max()))
