"""Per-row PCA reconstruction error of the multivariate model, without building the encoded matrix.

With z a row of the standardised encoding and V the kept components (orthonormal rows), the error is
|z - z V'V| = sqrt(z' M z) with M = I - V'V. A row's z is its standardised numeric values x, plus, for
each categorical column, a constant block b (an all-zero one-hot row, standardised) with 1/std added at
the row's category. So z' M z splits into
    x' A x + x . (a0 + sum_g W_g[c_g]) + s0 + sum_g S_g[c_g] + sum_{g<h} P_gh[c_g, c_h]
with A, a0, s0 constant, W_g, S_g tables by category and P_gh tables by pair of categories: per row a
product with a (numeric x numeric) matrix and a few gathers, whatever the number of components (the
explicit projection was (components x numeric) per row plus gathers of component-wide vectors: about
2.5x the arithmetic for 20 columns). The residual is computed directly, not as the difference of two
large squares, so the per-row vector part can run in float32 (4x faster products than float64 here, per-row
errors within ~1e-6 relative, far inside the reference band's spread); constants and sums stay float64.

Categorical columns whose tables multiply to at most JOINT_ROWS rows share one joint table (one gather
for the group instead of one per column); pairs across groups keep a small table per pair of columns.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from infranaut_pipelines.drift.summarise import numeric_values

BLOCK_ROWS = 100_000  # rows at a time through the products: bounds memory to BLOCK_ROWS x numeric columns
JOINT_ROWS = 1 << 14  # a group's joint table: at most this many rows of (numeric columns + 1) floats (~2 MB)
NULL = "__null__"  # a missing category is a value of its own (a null-rate shift is a shift)
F32 = np.float32


def width(e: dict) -> int:
    return 1 if e["kind"] == "numeric" else len(e["categories"]) + 1


def codes(s: pl.Series, categories: list[str]) -> np.ndarray:
    """Index of each value in ``categories``; len(categories) ("other") for anything else.

    By 64-bit hash: polars hashes a string column in a few ms per million rows (casting it to an Enum
    of the kept values takes 10x that), and the kept values' hashes go in a small table indexed by
    their low bits, so a row's code is two gathers and a compare. A value is taken for a kept category
    only if its full hash equals that category's: an unseen value is miscounted only on a 64-bit
    collision with one of at most TOP_CATEGORIES strings, and only in this model's input, never in a
    column's category counts."""
    s = s if s.dtype == pl.String else s.cast(pl.String)
    other = len(categories)
    real = [k for k in categories if k != NULL]
    out = np.full(s.len(), other, dtype=np.int64)
    if real:
        ch = pl.Series(real, dtype=pl.String).hash().to_numpy()
        bits = max(len(real).bit_length() + 2, 4)
        while len(set((ch & np.uint64((1 << bits) - 1)).tolist())) < len(real) and bits < 20:
            bits += 1
        mask = np.uint64((1 << bits) - 1)
        slots = ch & mask
        if len(set(slots.tolist())) < len(real):  # equal hashes of distinct strings: never seen, but exact
            pos = np.array([categories.index(k) for k in real] + [other], dtype=np.int64)
            out = pos[s.cast(pl.Enum(real), strict=False).to_physical().fill_null(len(real)).to_numpy()]
        else:
            table_h = np.zeros(1 << bits, dtype=np.uint64)
            table_c = np.full(1 << bits, other, dtype=np.int64)
            table_h[slots] = ch
            table_c[slots] = [categories.index(k) for k in real]
            h = s.hash().to_numpy()
            sl = (h & mask).astype(np.intp)
            out = np.where(table_h[sl] == h, table_c[sl], other)
    if s.null_count():
        out[s.is_null().to_numpy()] = categories.index(NULL) if NULL in categories else other
    return out


def numeric(s: pl.Series, mean: float) -> np.ndarray:
    v, _, _ = numeric_values(s)
    finite = np.isfinite(v)
    # impute missing with the reference mean; a column without any missing is used as it is (no copy)
    return v if finite.all() else np.where(finite, v, mean)


Inputs = tuple[list[np.ndarray], list[np.ndarray]]  # numeric columns (imputed), categorical codes


def encode_inputs(frame: pl.DataFrame, enc: list[dict], mean: np.ndarray) -> Inputs:
    """One cast per column: numeric values (missing imputed with the reference mean) and category codes,
    each in the encoding's order."""
    xs, cs, off = [], [], 0
    for e in enc:
        s = frame.get_column(e["name"])
        if e["kind"] == "numeric":
            xs.append(numeric(s, float(mean[off])))
        else:
            cs.append(codes(s, e["categories"]))
        off += width(e)
    return xs, cs


def dense(inputs: Inputs, enc: list[dict], mean: np.ndarray, std: np.ndarray, rows: np.ndarray | slice) -> np.ndarray:
    """The standardised encoded matrix of the given rows (keep them to a block: it is rows x encoded width)."""
    xs, cs = inputs
    parts = [x[rows] for x in xs], [c[rows] for c in cs]
    n = (parts[0] or parts[1])[0].size
    out = np.zeros((n, mean.size))
    off, i, j = 0, 0, 0
    for e in enc:
        if e["kind"] == "numeric":
            out[:, off] = parts[0][i]
            i += 1
        else:
            out[np.arange(n), off + parts[1][j]] = 1.0
            j += 1
        off += width(e)
    out -= mean
    out /= std
    return out


class Projector:
    def __init__(self, enc: list[dict], mean: np.ndarray, std: np.ndarray, comps: np.ndarray):
        self.enc, self.mean = enc, mean
        d = mean.size
        m = np.eye(d) - comps.T @ comps
        inv = 1.0 / std
        num_idx, cat_idx = [], []  # positions in the encoding
        b = np.zeros(d)
        off = 0
        for e in enc:
            w = width(e)
            if e["kind"] == "numeric":
                num_idx.append(off)
            else:
                cat_idx.append(np.arange(off, off + w))
                b[off:off + w] = -mean[off:off + w] * inv[off:off + w]
            off += w
        n_idx = np.array(num_idx, dtype=np.int64)
        self.num = [(e["name"], float(mean[j]), float(std[j])) for e, j in
                    zip((e for e in enc if e["kind"] == "numeric"), num_idx)]
        mb = m @ b
        self.a = m[np.ix_(n_idx, n_idx)]
        self.a0 = 2 * mb[n_idx]
        self.s0 = float(b @ mb)
        # per categorical column: W (numeric columns x width), S (width)
        wt = [2 * m[np.ix_(n_idx, ix)] * inv[ix] for ix in cat_idx]
        st = [2 * mb[ix] * inv[ix] + m[ix, ix] * inv[ix] ** 2 for ix in cat_idx]

        def pair(g: int, h: int) -> np.ndarray:  # (width_g, width_h)
            gi, hi = cat_idx[g], cat_idx[h]
            return 2 * m[np.ix_(gi, hi)] * inv[gi][:, None] * inv[hi][None, :]

        # greedy grouping in declaration order; per group: members, joint W (numeric x rows), joint S (rows)
        self.groups: list[tuple[list[int], list[int], np.ndarray, np.ndarray]] = []
        member_codes: list[np.ndarray] = []  # of the last group: each member's category per joint row
        for g in range(len(cat_idx)):
            w = len(cat_idx[g])
            if self.groups and self.groups[-1][3].size * w <= JOINT_ROWS:
                members, widths, jw, js = self.groups[-1]
                rows = js.size
                jw = (jw[:, :, None] + wt[g][:, None, :]).reshape(len(num_idx), rows * w)
                cross = js[:, None] + st[g][None, :]
                for h, mc in zip(members, member_codes):
                    cross = cross + pair(h, g)[mc]
                member_codes = [np.repeat(mc, w) for mc in member_codes] + [np.tile(np.arange(w), rows)]
                self.groups[-1] = (members + [g], widths + [w], jw, cross.reshape(-1))
            else:
                self.groups.append(([g], [w], wt[g], st[g]))
                member_codes = [np.arange(w)]
        self.a = self.a.astype(F32)
        self.a0 = self.a0.astype(F32)
        self.groups = [(mem, wid, np.ascontiguousarray(jw, dtype=F32), np.ascontiguousarray(js))
                       for mem, wid, jw, js in self.groups]
        # pairs of columns in different groups: a flat (width_g * width_h) table each
        group_of = {g: i for i, (mem, _, _, _) in enumerate(self.groups) for g in mem}
        self.cross = [(g, h, len(cat_idx[h]), pair(g, h).reshape(-1))
                      for g in range(len(cat_idx)) for h in range(g + 1, len(cat_idx)) if group_of[g] != group_of[h]]

    def inputs(self, frame: pl.DataFrame) -> Inputs:
        """One cast per column of the batch: numeric values (missing imputed) and category codes."""
        return encode_inputs(frame, self.enc, self.mean)

    def errors(self, frame: pl.DataFrame) -> np.ndarray:
        return self.errors_of(self.inputs(frame), frame.height)

    def errors_of(self, inputs: Inputs, n: int) -> np.ndarray:
        xs, cs = inputs
        gcodes = []
        for members, widths, _, _ in self.groups:
            code = np.zeros(n, dtype=np.int64)
            for g, w in zip(members, widths):
                code *= w
                code += cs[g]
            gcodes.append(code)
        out = np.empty(n)
        k, block = len(self.num), min(n, BLOCK_ROWS)
        # numeric-major (columns x rows) buffers: every fill, product and update below is contiguous
        z, y, t = (np.empty((k, block), dtype=F32) for _ in range(3))
        for o in range(0, n, BLOCK_ROWS):
            rows = min(BLOCK_ROWS, n - o)
            r = out[o:o + rows]
            r.fill(self.s0)
            if k:
                zb, yb, tb = z[:, :rows], y[:, :rows], t[:, :rows]
                for j, (_, mu, sd) in enumerate(self.num):
                    np.subtract(xs[j][o:o + rows], mu, out=zb[j])
                    zb[j] /= sd
                np.matmul(self.a, zb, out=yb)
                yb += self.a0[:, None]
                for (_, _, jw, _), code in zip(self.groups, gcodes):
                    np.take(jw, code[o:o + rows], axis=1, out=tb)
                    yb += tb
                r += np.einsum("ij,ij->j", zb, yb)
            for (_, _, _, js), code in zip(self.groups, gcodes):
                r += js[code[o:o + rows]]
            for g, h, wh, p in self.cross:
                r += p[cs[g][o:o + rows] * wh + cs[h][o:o + rows]]
            np.sqrt(np.maximum(r, 0.0, out=r), out=r)
        return out
