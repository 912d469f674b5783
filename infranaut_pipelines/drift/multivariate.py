"""Multivariate drift: PCA reconstruction error (NannyML's idea), fitted on the reference.

Catches changes in the *joint* distribution (e.g. a correlation flipping) that leave every
marginal unchanged, which per-column tests cannot see. Every feature kind takes part: numeric
columns as they are, categorical ones one-hot encoded (as NannyML does) over the reference's
``TOP_CATEGORIES`` most frequent values plus one "other" indicator for everything else (rarer
reference values and values never seen), so the width stays bounded whatever the cardinality.
All encoded features are standardised with reference mean/std before the PCA.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from infranaut_pipelines.drift.summarise import numeric_values

VARIANCE_KEPT = 0.65
FIT_ROWS = 200_000  # the PCA is fitted on at most this many reference rows (seeded sample)
TOP_CATEGORIES = 20  # one-hot columns per categorical feature, plus one for "other"
BLOCK_ROWS = 100_000  # rows encoded at a time: bounds memory to BLOCK_ROWS x features
NULL = "__null__"  # a missing category is a value of its own (a null-rate shift is a shift)


def _encoding(reference: pl.DataFrame, numeric: list[str], categorical: list[str]) -> list[dict]:
    enc = [{"name": c, "kind": "numeric"} for c in numeric]
    for c in categorical:
        vc = reference.get_column(c).cast(pl.String).fill_null(NULL).value_counts()
        pairs = sorted(zip(vc.to_series(0).to_list(), vc.to_series(1).to_list()), key=lambda kv: (-kv[1], kv[0]))
        enc.append({"name": c, "kind": "categorical", "categories": [k for k, _ in pairs[:TOP_CATEGORIES]]})
    return enc


def _width(e: dict) -> int:
    return 1 if e["kind"] == "numeric" else len(e["categories"]) + 1


def _codes(s: pl.Series, categories: list[str]) -> np.ndarray:
    """Index of each value in ``categories``; len(categories) ("other") for anything else."""
    s = s if s.dtype == pl.String else s.cast(pl.String)
    real = [k for k in categories if k != NULL]
    # a non-strict cast to an Enum of the kept values is ~4x faster than a dict replace on 1M rows;
    # values outside it become null, like real nulls, which are told apart below
    pos = np.array([categories.index(k) for k in real] + [len(categories)], dtype=np.int64)
    phys = s.cast(pl.Enum(real), strict=False).to_physical().fill_null(len(real)) if real else None
    codes = pos[phys.to_numpy()] if phys is not None else np.full(s.len(), len(categories), dtype=np.int64)
    if NULL in categories and s.null_count():
        codes[s.is_null().to_numpy()] = categories.index(NULL)
    return codes


def _numeric(s: pl.Series, mean: float) -> np.ndarray:
    v, _, _ = numeric_values(s)
    return np.where(np.isfinite(v), v, mean)  # impute missing with the reference mean


def _dense(frame: pl.DataFrame, enc: list[dict], mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """The standardised encoded matrix of ``frame``; callers pass blocks of at most BLOCK_ROWS rows."""
    out = np.zeros((frame.height, mean.size))
    off = 0
    for e in enc:
        if e["kind"] == "numeric":
            out[:, off] = _numeric(frame.get_column(e["name"]), mean[off])
        else:
            out[np.arange(frame.height), off + _codes(frame.get_column(e["name"]), e["categories"])] = 1.0
        off += _width(e)
    out -= mean
    out /= std
    return out


def _errors(frame: pl.DataFrame, enc: list[dict], mean: np.ndarray, std: np.ndarray, comps: np.ndarray) -> np.ndarray:
    """Per-row reconstruction error: comps has orthonormal rows, so |z - z V'V|^2 = |z|^2 - |z V'|^2.

    One source column at a time, the projection kept component-major so each update is contiguous
    (faster here than a dense block times a matrix). A one-hot block needs no matrix at all: a row
    with category c projects to the constant V_blk @ b (b = an all-zero row, standardised) plus
    V_blk[:, c] / std_c, so its projection and its |z|^2 are lookups by category code."""
    proj = np.zeros((comps.shape[0], frame.height))
    sq = np.zeros(frame.height)
    off = 0
    for e in enc:
        w = _width(e)
        if e["kind"] == "numeric":
            z = (_numeric(frame.get_column(e["name"]), mean[off]) - mean[off]) / std[off]
            sq += z * z
            for k in range(comps.shape[0]):
                proj[k] += comps[k, off] * z
        else:
            m, s, v = mean[off:off + w], std[off:off + w], comps[:, off:off + w]
            b = -m / s
            table = (v @ b)[:, None] + v / s  # components x (categories + 1)
            hot = (1 - m) / s
            codes = _codes(frame.get_column(e["name"]), e["categories"])
            proj += np.take(table, codes, axis=1)
            sq += (float(b @ b) - b * b + hot * hot)[codes]
        off += w
    return np.sqrt(np.maximum(sq - np.einsum("ij,ij->j", proj, proj), 0.0))


def _blocked_errors(frame: pl.DataFrame, enc: list[dict], mean: np.ndarray, std: np.ndarray,
                    comps: np.ndarray) -> np.ndarray:
    return np.concatenate([_errors(frame.slice(o, BLOCK_ROWS), enc, mean, std, comps)
                           for o in range(0, frame.height, BLOCK_ROWS)] or [np.zeros(0)])


def fit(reference: pl.DataFrame, numeric: list[str], chunks: int, categorical: list[str] | None = None) -> dict | None:
    categorical = categorical or []
    enc = _encoding(reference, numeric, categorical)
    if len(enc) < 2 or reference.height < 2 * chunks:
        return None
    d = sum(_width(e) for e in enc)
    mean, std = np.zeros(d), np.ones(d)
    off = 0
    for e in enc:
        w = _width(e)
        if e["kind"] == "numeric":
            v, _, _ = numeric_values(reference.get_column(e["name"]))
            f = v[np.isfinite(v)]
            mean[off] = f.mean() if f.size else 0.0
            s = f.std() if f.size else 0.0
        else:
            p = np.bincount(_codes(reference.get_column(e["name"]), e["categories"]), minlength=w) / reference.height
            mean[off:off + w] = p
            s = np.sqrt(p * (1 - p))
        std[off:off + w] = np.where(s > 0, s, 1.0)
        off += w
    rng = np.random.default_rng(0)
    sample = reference if reference.height <= FIT_ROWS else reference[np.sort(rng.choice(reference.height, FIT_ROWS,
                                                                                         replace=False))]
    # PCA from the covariance, accumulated in blocks: the same subspace as an SVD of the centred
    # sample, without holding the sample's encoded matrix at once
    gram, total = np.zeros((d, d)), np.zeros(d)
    for o in range(0, sample.height, BLOCK_ROWS):
        z = _dense(sample.slice(o, BLOCK_ROWS), enc, mean, std)
        gram += z.T @ z
        total += z.sum(axis=0)
    n = sample.height
    cov = (gram - np.outer(total, total) / n) / n
    eigval, eigvec = np.linalg.eigh(cov)
    order = np.argsort(eigval)[::-1]
    eigval, eigvec = np.clip(eigval[order], 0, None), eigvec[:, order]
    var = eigval / max(eigval.sum(), 1e-300)
    k = int(min(np.searchsorted(np.cumsum(var), VARIANCE_KEPT) + 1, d))
    comps = eigvec[:, :k].T
    err = _blocked_errors(reference, enc, mean, std, comps)
    per_chunk = np.array([c.mean() for c in np.array_split(err, chunks)])
    mu, sd = float(per_chunk.mean()), float(per_chunk.std(ddof=1))
    return {
        "columns": [e["name"] for e in enc], "encoding": enc, "n_features": d,
        "mean": mean.tolist(), "std": std.tolist(), "components": comps.tolist(),
        "explained_variance": float(np.cumsum(var)[k - 1]), "reference_error": float(err.mean()),
        "lower": mu - 3 * sd, "upper": mu + 3 * sd,
    }


class Accumulator:
    def __init__(self, model: dict, min_rows: int = 0):
        self.model = model
        # a model from a format-1 baseline has no "encoding": it was fitted on numeric columns only
        self.enc = model.get("encoding") or [{"name": c, "kind": "numeric"} for c in model["columns"]]
        self.comps = np.asarray(model["components"])
        self.mean, self.std = np.asarray(model["mean"]), np.asarray(model["std"])
        self.min_rows = min_rows
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
            err = _blocked_errors(batch, self.enc, self.mean, self.std, self.comps)
        except Exception as exc:  # noqa: BLE001 - reported in the result, never raised
            self.error = f"{type(exc).__name__}: {exc}"
            return
        self.total += float(err.sum())
        self.n += err.size

    def result(self) -> dict:
        m = self.model
        out = {"columns": m["columns"], "n_components": len(m["components"]),
               "explained_variance": m["explained_variance"], "reference_error": m["reference_error"],
               "lower": m["lower"], "upper": m["upper"], "current_error": None, "drifted": False, "error": self.error,
               "n_features": m.get("n_features", len(m["columns"])), "n_current": self.n, "status": "scored",
               "categorical_columns": [e["name"] for e in self.enc if e["kind"] == "categorical"]}
        if "encoding" not in m:
            out["note"] = "baseline built before categorical features were encoded: numeric features only " \
                          "(rebuild the baseline to include categorical features)"
        if not self.error and self.n == 0:
            out["error"] = "current data is empty"
        if out["error"] is not None:
            out["status"] = "error"
        elif self.n < self.min_rows:
            out["status"] = "too few rows"
            out["status_detail"] = f"{self.n} current rows, minimum {self.min_rows}"
        else:
            cur = self.total / self.n
            out["current_error"] = cur
            out["drifted"] = bool(cur < m["lower"] or cur > m["upper"])
        return out
