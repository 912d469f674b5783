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
from infranaut_pipelines.drift.projector import BLOCK_ROWS, NULL, Inputs, Projector, codes, dense, encode_inputs, width
from infranaut_pipelines.drift.spec import STATUS_ERROR, STATUS_TOO_FEW
from infranaut_pipelines.drift.summarise import numeric_values, submit, usable_cpus

VARIANCE_KEPT = 0.65
FIT_ROWS = 200_000  # the PCA is fitted on at most this many reference rows (seeded sample)
TOP_CATEGORIES = 20  # one-hot columns per categorical feature, plus one for "other"


def _encoding(reference: pl.DataFrame, numeric: list[str], categorical: list[str],
              known: dict[str, tuple[dict[str, int], int]]) -> list[dict]:
    enc = [{"name": c, "kind": "numeric"} for c in numeric]
    for c in categorical:
        counts: dict[str, int] = {}
        if c in known:  # the column's own sketch counted it already: (counts of values, nulls)
            counts.update(known[c][0])
            if known[c][1]:
                counts[NULL] = counts.get(NULL, 0) + known[c][1]
        else:
            # value_counts counts nulls as a value of their own: no filled copy of the column needed
            vc = reference.get_column(c).cast(pl.String).value_counts()
            for k, n in zip(vc.to_series(0).to_list(), vc.to_series(1).to_list()):
                key = NULL if k is None else k
                counts[key] = counts.get(key, 0) + n
        pairs = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        enc.append({"name": c, "kind": "categorical", "categories": [k for k, _ in pairs[:TOP_CATEGORIES]]})
    return enc


def _dense(frame: pl.DataFrame, enc: list[dict], mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """The standardised encoded matrix of ``frame`` (a block of rows: it is rows x encoded width)."""
    return dense(encode_inputs(frame, enc, mean), enc, mean, std, slice(None))


def _parallel_errors(proj: Projector, inputs: Inputs, n: int) -> np.ndarray:
    """Errors of every row, row ranges on the drift pool (one per core). Call from outside the pool."""
    parts = usable_cpus()
    if parts == 1 or n < 2 * BLOCK_ROWS:
        return proj.errors_of(inputs, n)
    step = -(-n // parts)

    def part(o: int) -> np.ndarray:
        sl = slice(o, min(o + step, n))
        return proj.errors_of(([x[sl] for x in inputs[0]], [c[sl] for c in inputs[1]]), sl.stop - o)

    futures = [submit(part, o) for o in range(0, n, step)]
    return np.concatenate([f.result() for f in futures])


def _blocked_errors(frame: pl.DataFrame, enc: list[dict], mean: np.ndarray, std: np.ndarray,
                    comps: np.ndarray) -> np.ndarray:
    proj = Projector(enc, mean, std, comps)
    return _parallel_errors(proj, encode_inputs(frame, enc, mean), frame.height)


def _covariance(inputs: Inputs, enc: list[dict], mean: np.ndarray, std: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sample covariance of the standardised encoding over ``rows``, from sums by kind of block instead of
    the (rows x encoded width) matrix: numeric x numeric is one small product; numeric x one-hot is the
    numeric column's sum per category (a weighted bincount); one-hot x one-hot is a contingency table,
    diagonal within a column. The same numbers as the dense computation, ~10x less work. Numeric columns
    are centred on the reference mean first, so the raw second moments lose nothing to cancellation."""
    xs, cs = inputs
    n, d = rows.size, mean.size
    num_off, cat_off = [], []
    off = 0
    for e in enc:
        (num_off if e["kind"] == "numeric" else cat_off).append((off, width(e)))
        off += width(e)
    gram, total = np.zeros((d, d)), np.zeros(d)
    x = np.empty((len(xs), n))  # column-major: each column contiguous for the bincounts below
    for j, (col, (o, _)) in enumerate(zip(xs, num_off)):
        np.subtract(col[rows], mean[o], out=x[j])
    ni = np.array([o for o, _ in num_off], dtype=np.int64)
    gram[np.ix_(ni, ni)] = x @ x.T
    total[ni] = x.sum(axis=1)
    codes_s = [c[rows] for c in cs]
    for g, (o, w) in enumerate(cat_off):
        cnt = np.bincount(codes_s[g], minlength=w).astype(float)
        total[o:o + w] = cnt
        gram[o:o + w, o:o + w] = np.diag(cnt)
        for j, (o2, _) in enumerate(num_off):
            gram[o:o + w, o2] = gram[o2, o:o + w] = np.bincount(codes_s[g], weights=x[j], minlength=w)
        for h in range(g + 1, len(cat_off)):
            o2, w2 = cat_off[h]
            t = np.bincount(codes_s[g] * w2 + codes_s[h], minlength=w * w2).reshape(w, w2)
            gram[o:o + w, o2:o2 + w2] = t
            gram[o2:o2 + w2, o:o + w] = t.T
    return (gram - np.outer(total, total) / n) / n / np.outer(std, std)


def fit(reference: pl.DataFrame, numeric: list[str], chunks: int, categorical: list[str] | None = None,
        known_counts: dict[str, tuple[dict[str, int], int]] | None = None) -> dict | None:
    """The model; ``known_counts`` (column -> (value counts, null count)) saves counting columns again."""
    categorical = categorical or []
    enc = _encoding(reference, numeric, categorical, known_counts or {})
    if len(enc) < 2 or reference.height < 2 * chunks:
        return None
    d = sum(width(e) for e in enc)
    mean, std = np.zeros(d), np.ones(d)
    # every reference column is cast (numeric) or coded (categorical) once; the moments, the PCA sample
    # and the reference's error pass all read these arrays
    xs, cs = [], []
    off = 0
    for e in enc:
        w = width(e)
        s = reference.get_column(e["name"])
        if e["kind"] == "numeric":
            v, _, _ = numeric_values(s)
            finite = np.isfinite(v)
            all_finite = bool(finite.all())
            f = v if all_finite else v[finite]
            mean[off] = f.mean() if f.size else 0.0
            sd = f.std() if f.size else 0.0
            xs.append(v if all_finite else np.where(finite, v, mean[off]))
        else:
            c = codes(s, e["categories"])
            cs.append(c)
            p = np.bincount(c, minlength=w) / reference.height
            mean[off:off + w] = p
            sd = np.sqrt(p * (1 - p))
        std[off:off + w] = np.where(sd > 0, sd, 1.0)
        off += w
    inputs = (xs, cs)
    rng = np.random.default_rng(0)
    n = reference.height
    sample = np.arange(n) if n <= FIT_ROWS else np.sort(rng.choice(n, FIT_ROWS, replace=False))
    cov = _covariance(inputs, enc, mean, std, sample)
    eigval, eigvec = np.linalg.eigh(cov)
    order = np.argsort(eigval)[::-1]
    eigval, eigvec = np.clip(eigval[order], 0, None), eigvec[:, order]
    var = eigval / max(eigval.sum(), 1e-300)
    k = int(min(np.searchsorted(np.cumsum(var), VARIANCE_KEPT) + 1, d))
    comps = eigvec[:, :k].T
    err = _parallel_errors(Projector(enc, mean, std, comps), inputs, reference.height)
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
        self.projector = Projector(self.enc, self.mean, self.std, self.comps)
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
