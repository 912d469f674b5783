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

from infranaut_pipelines.drift.multivariate_result import MultivariateResult
from infranaut_pipelines.drift.spec import STATUS_ERROR, STATUS_TOO_FEW
from infranaut_pipelines.drift.summarise import numeric_values, submit, usable_cpus

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
    finite = np.isfinite(v)
    # impute missing with the reference mean; a column without any missing is used as it is (no copy)
    return v if finite.all() else np.where(finite, v, mean)


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


# categorical columns are combined while their joint lookup table has at most this many cells (4 MB)
JOINT_CELLS = 1 << 20
# the projection's precision: per-row errors within ~1e-6 relative of float64's, far inside the reference
# band's spread (a chunk mean's 3 sd), at a fraction of float64's memory traffic
F32 = np.float32


class _Projector:
    """Per-row reconstruction error for one model: comps has orthonormal rows, so
    |z - z V'V|^2 = |z|^2 - |z V'|^2, and only the projection z V' and |z|^2 are needed.

    Numeric columns: one BLAS product of the standardised block with their slice of V'. A one-hot block
    needs no arithmetic per row: a row with category c projects to the constant V_blk @ b (b = an
    all-zero row, standardised) plus V_blk[:, c] / std_c, and its |z|^2 is a constant plus a term in c;
    so each categorical column is a lookup table of (projection, |z|^2 part) rows by category code.
    Columns whose tables multiply to at most JOINT_CELLS cells share one joint table, indexed by the
    combined code: one gather per group of columns instead of one per column (``np.take`` into a
    preallocated buffer: ~3x faster than fancy indexing, which allocates)."""

    def __init__(self, enc: list[dict], mean: np.ndarray, std: np.ndarray, comps: np.ndarray):
        self.enc, self.k = enc, comps.shape[0]
        self.num: list[tuple[str, float, float]] = []  # (column, mean, std)
        num_idx: list[int] = []
        tables: list[tuple[str, list[str], np.ndarray]] = []  # (column, categories, (width, k + 1))
        off = 0
        for e in enc:
            w = _width(e)
            if e["kind"] == "numeric":
                self.num.append((e["name"], float(mean[off]), float(std[off])))
                num_idx.append(off)
            else:
                m, sd, v = mean[off:off + w], std[off:off + w], comps[:, off:off + w]
                b = -m / sd
                hot = (1 - m) / sd
                t = np.empty((w, self.k + 1))
                t[:, :self.k] = ((v @ b)[:, None] + v / sd).T
                t[:, self.k] = float(b @ b) - b * b + hot * hot
                tables.append((e["name"], e["categories"], t))
            off += w
        self.num_comps_t = np.ascontiguousarray(comps[:, num_idx], dtype=F32)  # (k, numeric columns)
        # greedy grouping in declaration order; a group's table is the sum of its members' over all combinations
        groups: list[tuple[list[tuple[str, list[str], int]], np.ndarray]] = []
        for name, cats, t in tables:
            if groups and groups[-1][1].size * t.shape[0] <= JOINT_CELLS:
                members, joint = groups[-1]
                joint = (joint[:, None, :] + t[None, :, :]).reshape(-1, self.k + 1)
                groups[-1] = (members + [(name, cats, t.shape[0])], joint)
            else:
                groups.append(([(name, cats, t.shape[0])], t))
        # per group: members, projection table (k x joint rows), |z|^2 table (joint rows)
        self.groups = [(mem, np.ascontiguousarray(j[:, :self.k].T, dtype=F32), np.ascontiguousarray(j[:, self.k]))
                       for mem, j in groups]

    def errors(self, frame: pl.DataFrame) -> np.ndarray:
        n = frame.height
        # whole-batch inputs first (one cast per column), then BLOCK_ROWS rows at a time through the products
        xs = [_numeric(frame.get_column(c), mu) for c, mu, _ in self.num]
        codes = []
        for members, _, _ in self.groups:
            code = np.zeros(n, dtype=np.int64)
            for name, cats, w in members:
                code *= w
                code += _codes(frame.get_column(name), cats)
            codes.append(code)
        out = np.empty(n)
        block, k = min(n, BLOCK_ROWS), self.k
        # component-major (k x rows) buffers: every fill, product and update below is contiguous. The
        # projection is float32 (2-4x less memory traffic); |z|^2 and the difference stay float64
        z = np.empty((len(self.num), block), dtype=F32)
        proj, tmp = np.empty((k, block), dtype=F32), np.empty((k, block), dtype=F32)
        sq, tsq, pp = np.empty(block), np.empty(block), np.empty(block, dtype=F32)
        for o in range(0, n, BLOCK_ROWS):
            rows = min(BLOCK_ROWS, n - o)
            zb, p, q, t, ts, pq = z[:, :rows], proj[:, :rows], sq[:rows], tmp[:, :rows], tsq[:rows], pp[:rows]
            if self.num:
                for j, (_, mu, sd) in enumerate(self.num):
                    np.subtract(xs[j][o:o + rows], mu, out=zb[j])
                    zb[j] /= sd
                np.matmul(self.num_comps_t, zb, out=p)
                np.einsum("ij,ij->j", zb, zb, out=q)
            else:
                p.fill(0.0)
                q.fill(0.0)
            for (_, jp, js), code in zip(self.groups, codes):
                c = code[o:o + rows]
                np.take(jp, c, axis=1, out=t)
                p += t
                np.take(js, c, out=ts)
                q += ts
            q -= np.einsum("ij,ij->j", p, p, out=pq)
            np.sqrt(np.maximum(q, 0.0, out=q), out=out[o:o + rows])
        return out


def _blocked_errors(frame: pl.DataFrame, enc: list[dict], mean: np.ndarray, std: np.ndarray,
                    comps: np.ndarray) -> np.ndarray:
    """Errors of every row, row ranges on the drift pool (one per core). Call from outside the pool."""
    proj = _Projector(enc, mean, std, comps)
    parts = usable_cpus()
    if parts == 1 or frame.height < 2 * BLOCK_ROWS:
        return proj.errors(frame)
    step = -(-frame.height // parts)
    futures = [submit(proj.errors, frame.slice(o, step)) for o in range(0, frame.height, step)]
    return np.concatenate([f.result() for f in futures])


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
        self.projector = _Projector(self.enc, self.mean, self.std, self.comps)
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
            err = self.projector.errors(batch)
        except Exception as exc:  # noqa: BLE001 - reported in the result, never raised
            self.error = f"{type(exc).__name__}: {exc}"
            return
        self.total += float(err.sum())
        self.n += err.size

    def result(self) -> MultivariateResult:
        m = self.model
        out = MultivariateResult(
            columns=m["columns"], n_components=len(m["components"]), explained_variance=m["explained_variance"],
            reference_error=m["reference_error"], lower=m["lower"], upper=m["upper"], error=self.error,
            n_features=m.get("n_features", len(m["columns"])), n_current=self.n,
            categorical_columns=[e["name"] for e in self.enc if e["kind"] == "categorical"])
        if "encoding" not in m:
            out.note = ("baseline built before categorical features were encoded: numeric features only "
                        "(rebuild the baseline to include categorical features)")
        if not self.error and self.n == 0:
            out.error = "current data is empty"
        if out.error is not None:
            out.status = STATUS_ERROR
        elif self.n < self.min_rows:
            out.status = STATUS_TOO_FEW
            out.status_detail = f"{self.n} current rows, minimum {self.min_rows}"
        else:
            out.current_error = self.total / self.n
            out.drifted = bool(out.current_error < m["lower"] or out.current_error > m["upper"])
        return out
