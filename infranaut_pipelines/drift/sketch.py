"""The reference, summarised once into a compact, versioned ``BaselineSketch``.

Everything ``compare`` needs lives here, so the raw reference never has to be re-read: per
numeric column an ECDF grid with cell sums (exact for <= 5000 distinct values), moments and
counts; per categorical column its category counts; optional learned thresholds; the PCA model
for multivariate drift; the performance baseline and calibration for label-free estimates.
"""

from __future__ import annotations

import functools
import hashlib
import json
import zlib
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from infranaut_pipelines.drift import multivariate, performance
from infranaut_pipelines.drift.categorical import CategoricalSummary
from infranaut_pipelines.drift.numeric import VALUE_COUNTS_MAX, NumericSummary, make_edges, n_distinct
from infranaut_pipelines.drift.scoring import CATEGORICAL_METHODS, NUMERIC_METHODS, score_categorical, score_numeric
from infranaut_pipelines.drift.spec import ColumnSpec, DriftSettings
from infranaut_pipelines.drift.summarise import numeric_values, one_blas_thread, submit

# 2: the multivariate model also encodes categorical features ("encoding"). Format-1 sketches still
# load (their multivariate part covers numeric features only, and says so in the result).
FORMAT = 2
READABLE_FORMATS = (1, 2)
MAGIC = b"IPDSKETCH1\n"


@dataclass
class ColumnSketch:
    name: str
    kind: str
    role: str
    numeric: NumericSummary | None = None
    exact: bool = False  # numeric: the ECDF is stored exactly (edges are every distinct value)
    n_unique: int = 0
    categorical: CategoricalSummary | None = None
    lumped: bool = False  # categorical: rare categories merged into __other__
    learned: dict[str, dict] | None = None  # method -> {mean, std, upper} of chunk-vs-rest statistics
    error: str | None = None

    @property
    def n(self) -> int:
        s = self.numeric or self.categorical
        return s.n if s is not None else 0

    def to_json(self) -> dict:
        return {
            "name": self.name, "kind": self.kind, "role": self.role, "exact": self.exact, "n_unique": self.n_unique,
            "edges": None if self.numeric is None else self.numeric.edges.tolist(),
            "numeric": None if self.numeric is None else self.numeric.to_json(),
            "categorical": None if self.categorical is None else self.categorical.to_json(),
            "lumped": self.lumped, "learned": self.learned, "error": self.error,
        }

    @classmethod
    def from_json(cls, d: dict) -> "ColumnSketch":
        num = None
        if d["numeric"] is not None:
            num = NumericSummary.from_json(d["numeric"], np.asarray(d["edges"], dtype=np.float64))
        cat = None if d["categorical"] is None else CategoricalSummary.from_json(d["categorical"])
        return cls(d["name"], d["kind"], d["role"], num, d["exact"], d["n_unique"], cat, d["lumped"], d["learned"],
                   d["error"])


@dataclass
class BaselineSketch:
    n_rows: int
    columns: dict[str, ColumnSketch]
    multivariate: dict | None = None
    performance: dict | None = None
    meta: dict = field(default_factory=dict)
    format: int = FORMAT  # kept as loaded, so re-serialising an old sketch keeps its bytes and version

    def _payload(self) -> dict:
        return {"format": self.format, "n_rows": self.n_rows, "columns": [c.to_json() for c in self.columns.values()],
                "multivariate": self.multivariate, "performance": self.performance, "meta": self.meta}

    def to_json(self) -> str:
        return json.dumps(self._payload(), sort_keys=True, separators=(",", ":"), allow_nan=False)

    @functools.cached_property
    def version(self) -> str:
        """Content hash: equal sketches have equal versions, any change in the baseline changes it.
        Cached: a sketch is not modified after ``build_sketch``/``from_bytes``."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def to_bytes(self) -> bytes:
        return MAGIC + zlib.compress(self.to_json().encode(), 6)

    @classmethod
    def from_json(cls, text: str) -> "BaselineSketch":
        d = json.loads(text)
        if d.get("format") not in READABLE_FORMATS:
            raise ValueError(f"unsupported sketch format {d.get('format')!r} (this code reads "
                             f"{', '.join(map(str, READABLE_FORMATS))}): rebuild the baseline with this version")
        cols = {c["name"]: ColumnSketch.from_json(c) for c in d["columns"]}
        sk = cls(d["n_rows"], cols, d["multivariate"], d["performance"], d["meta"], d["format"])
        # the text is canonical (sorted keys, repr floats), so its hash is the version
        sk.__dict__["version"] = hashlib.sha256(text.encode()).hexdigest()[:16]
        return sk

    @classmethod
    def from_bytes(cls, b: bytes) -> "BaselineSketch":
        if not b.startswith(MAGIC):
            raise ValueError("not a drift baseline sketch (bad header)")
        return cls.from_json(zlib.decompress(b[len(MAGIC):]).decode())


def _finite_json(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _learn(stats: list[float]) -> dict | None:
    v = np.array([s for s in stats if s is not None and np.isfinite(s)], dtype=float)
    if v.size < 2:
        return None
    mu, sd = float(v.mean()), float(v.std(ddof=1))
    return {"mean": mu, "std": sd, "upper": mu + 3 * sd}


def _numeric_column(spec: ColumnSpec, s: pl.Series, settings: DriftSettings) -> ColumnSketch:
    col = ColumnSketch(spec.name, "numeric", spec.role)
    arr, n_null, unparsed = numeric_values(s)
    finite = np.isfinite(arr)
    all_finite = bool(finite.all())
    xs = np.sort(arr if all_finite else arr[finite])  # no masked copy when nothing is missing
    if xs.size == 0:
        col.error = "no finite values in the reference"
        return col
    edges, exact = make_edges(xs)
    summ = NumericSummary(edges, shift=float(xs.mean()), tracking=exact and len(edges) <= VALUE_COUNTS_MAX)
    summ.add_sorted(xs)
    n_inf = 0 if all_finite else int(np.isinf(arr).sum())
    summ.n_null, summ.n_unparsed, summ.n_inf = n_null + unparsed, unparsed, n_inf
    summ.n_nan = int((~finite).sum()) - n_inf - n_null - unparsed
    col.numeric, col.exact = summ, exact
    col.n_unique = len(edges) if exact else n_distinct(xs)
    if settings.learned_thresholds:
        per: dict[str, list] = {mth: [] for mth in NUMERIC_METHODS}
        for piece in np.array_split(arr, settings.chunks):
            chunk = NumericSummary(edges, shift=summ.shift, tracking=summ.tracking)
            chunk.add_sorted(np.sort(piece[np.isfinite(piece)]))
            rest = summ.minus(chunk)
            if chunk.n == 0 or rest.n == 0:
                continue
            for mth in per:
                try:
                    per[mth].append(score_numeric(mth, rest, chunk, summ.std, exact, col.n_unique)["statistic"])
                except ValueError:
                    pass
        col.learned = {k: v for k, v in ((k, _learn(v)) for k, v in per.items()) if v}
    return col


def _categorical_column(spec: ColumnSpec, s: pl.Series, settings: DriftSettings) -> ColumnSketch:
    col = ColumnSketch(spec.name, "categorical", spec.role)
    full = CategoricalSummary()
    full.add_series(s)
    if full.n == 0:
        col.error = "no non-null values in the reference"
        return col
    col.categorical, col.lumped = full.capped()
    col.n_unique = len(full.counts)
    if settings.learned_thresholds:
        per: dict[str, list] = {mth: [] for mth in CATEGORICAL_METHODS}
        step = -(-s.len() // settings.chunks)
        for off in range(0, s.len(), step):
            chunk = CategoricalSummary()
            chunk.add_series(s.slice(off, step))
            rest = full.minus(chunk)
            if chunk.n == 0 or rest.n == 0:
                continue
            for mth in per:
                per[mth].append(score_categorical(mth, rest, chunk)["statistic"])
        col.learned = {k: v for k, v in ((k, _learn(v)) for k, v in per.items()) if v}
    return col


def build_sketch(
    reference: pl.DataFrame | pl.LazyFrame,
    columns: list[ColumnSpec],
    settings: DriftSettings | None = None,
    labels: pl.Series | None = None,
    prediction: pl.Series | None = None,
) -> BaselineSketch:
    """Summarise the reference once. Column problems are recorded per column (and reported by
    ``compare``) rather than raised, so one bad column does not block a whole model's monitoring."""
    with one_blas_thread():
        return _build(reference, columns, settings or DriftSettings(), labels, prediction)


def _build(reference: pl.DataFrame | pl.LazyFrame, columns: list[ColumnSpec], settings: DriftSettings,
           labels: pl.Series | None, prediction: pl.Series | None) -> BaselineSketch:
    ref = reference.collect() if isinstance(reference, pl.LazyFrame) else reference

    def one(spec: ColumnSpec) -> ColumnSketch:
        if spec.name not in ref.columns:
            return ColumnSketch(spec.name, spec.kind, spec.role, error="column missing from the reference")
        try:
            builder = _numeric_column if spec.kind == "numeric" else _categorical_column
            return builder(spec, ref.get_column(spec.name), settings)
        except Exception as exc:  # noqa: BLE001
            return ColumnSketch(spec.name, spec.kind, spec.role, error=f"{type(exc).__name__}: {exc}")

    # columns in parallel (see summarise.py), categorical ones first: the multivariate encoding takes its
    # category counts from them instead of counting every categorical column again; results in declaration order
    order = sorted(columns, key=lambda c: c.kind != "categorical")
    futures = {spec.name: submit(one, spec) for spec in order}

    def fit_mv(features: list[ColumnSpec]) -> dict | None:
        cats = [c.name for c in features if c.kind == "categorical"]
        known = {}
        for name in cats:
            cs = futures[name].result()
            if cs.categorical is not None and not cs.lumped:  # lumped: the top values are not all there
                known[name] = (cs.categorical.counts, cs.categorical.n_null)
        return multivariate.fit(ref, [c.name for c in features if c.kind == "numeric"], settings.chunks, cats, known)

    # the multivariate model is fitted meanwhile, on the features present; refitted in the rare case a
    # present column turns out unusable (e.g. no finite values), so it only ever covers usable columns
    present = [c for c in columns if c.role == "feature" and c.name in ref.columns]
    mv = fit_mv(present)
    out: dict[str, ColumnSketch] = {spec.name: futures[spec.name].result() for spec in columns}
    usable = [c for c in present if out[c.name].error is None]
    if usable != present:
        mv = fit_mv(usable)
    perf = None
    if settings.task and labels is not None:
        pred = prediction
        if pred is None:
            pred_cols = [c.name for c in columns if c.role == "prediction" and c.name in ref.columns]
            pred = ref.get_column(pred_cols[0]) if pred_cols else None
        if pred is not None:
            perf = performance.fit(pred, labels, settings.task, settings.prediction_threshold, settings.chunks)
    meta = {"learned_thresholds": settings.learned_thresholds, "chunks": settings.chunks}
    sketch = BaselineSketch(ref.height, out, mv, perf, meta)
    _ = sketch.version  # hash once here, so compare() does not pay for it
    return sketch
