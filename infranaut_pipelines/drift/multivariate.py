"""Multivariate drift: PCA reconstruction error (NannyML's idea), fitted on the reference.

Catches changes in the *joint* distribution (e.g. a correlation flipping) that leave every
marginal unchanged, which per-column tests cannot see.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from infranaut_pipelines.drift.summarise import numeric_values

VARIANCE_KEPT = 0.65
FIT_ROWS = 200_000  # the PCA is fitted on at most this many reference rows (seeded sample)


def _matrix(frame: pl.DataFrame, cols: list[str], mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    out = []
    for i, c in enumerate(cols):
        v, _, _ = numeric_values(frame.get_column(c))
        v = np.where(np.isfinite(v), v, mean[i])  # impute missing with the reference mean
        out.append((v - mean[i]) / std[i])
    return np.column_stack(out)


def _errors(z: np.ndarray, comps: np.ndarray) -> np.ndarray:
    # comps has orthonormal rows, so |z - z V'V|^2 = |z|^2 - |z V'|^2 (no n x d reconstruction needed)
    proj = z @ comps.T
    return np.sqrt(np.maximum(np.einsum("ij,ij->i", z, z) - np.einsum("ij,ij->i", proj, proj), 0.0))


def _errors_by_column(frame: pl.DataFrame, cols: list[str], mean: np.ndarray, std: np.ndarray,
                      comps: np.ndarray) -> np.ndarray:
    """Same as ``_errors(_matrix(...))`` but one column at a time: no n x d matrix in memory."""
    proj = np.zeros((comps.shape[0], frame.height))  # row-major per component: contiguous updates
    sq = np.zeros(frame.height)
    for i, c in enumerate(cols):
        v, _, _ = numeric_values(frame.get_column(c))
        z = (np.where(np.isfinite(v), v, mean[i]) - mean[i]) / std[i]
        sq += z * z
        for k in range(comps.shape[0]):
            proj[k] += comps[k, i] * z
    return np.sqrt(np.maximum(sq - np.einsum("ij,ij->j", proj, proj), 0.0))


def fit(reference: pl.DataFrame, cols: list[str], chunks: int) -> dict | None:
    if len(cols) < 2 or reference.height < 2 * chunks:
        return None
    mean = np.empty(len(cols))
    std = np.empty(len(cols))
    for i, c in enumerate(cols):
        v, _, _ = numeric_values(reference.get_column(c))
        f = v[np.isfinite(v)]
        mean[i] = f.mean() if f.size else 0.0
        s = f.std() if f.size else 0.0
        std[i] = s if s > 0 else 1.0
    z = _matrix(reference, cols, mean, std)
    rng = np.random.default_rng(0)
    fit_rows = z if z.shape[0] <= FIT_ROWS else z[rng.choice(z.shape[0], FIT_ROWS, replace=False)]
    _, sv, vt = np.linalg.svd(fit_rows - fit_rows.mean(axis=0), full_matrices=False)
    var = sv**2 / max((sv**2).sum(), 1e-300)
    k = int(np.searchsorted(np.cumsum(var), VARIANCE_KEPT) + 1)
    comps = vt[:k]
    err = _errors(z, comps)
    per_chunk = np.array([c.mean() for c in np.array_split(err, chunks)])
    mu, sd = float(per_chunk.mean()), float(per_chunk.std(ddof=1))
    return {
        "columns": cols, "mean": mean.tolist(), "std": std.tolist(), "components": comps.tolist(),
        "explained_variance": float(np.cumsum(var)[k - 1]), "reference_error": float(err.mean()),
        "lower": mu - 3 * sd, "upper": mu + 3 * sd,
    }


class Accumulator:
    def __init__(self, model: dict):
        self.model = model
        self.comps = np.asarray(model["components"])
        self.mean, self.std = np.asarray(model["mean"]), np.asarray(model["std"])
        self.total, self.n = 0.0, 0
        self.error: str | None = None

    def add(self, batch: pl.DataFrame) -> None:
        if self.error:
            return
        missing = [c for c in self.model["columns"] if c not in batch.columns]
        if missing:
            self.error = f"columns missing from current data: {missing}"
            return
        try:
            err = _errors_by_column(batch, self.model["columns"], self.mean, self.std, self.comps)
        except Exception as exc:  # noqa: BLE001 - reported in the result, never raised
            self.error = f"{type(exc).__name__}: {exc}"
            return
        self.total += float(err.sum())
        self.n += err.size

    def result(self) -> dict:
        m = self.model
        out = {"columns": m["columns"], "n_components": len(m["components"]),
               "explained_variance": m["explained_variance"], "reference_error": m["reference_error"],
               "lower": m["lower"], "upper": m["upper"], "current_error": None, "drifted": False, "error": self.error}
        if not self.error and self.n == 0:
            out["error"] = "current data is empty"
        if out["error"] is None:
            cur = self.total / self.n
            out["current_error"] = cur
            out["drifted"] = bool(cur < m["lower"] or cur > m["upper"])
        return out
