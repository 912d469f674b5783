"""Compare current data with a baseline sketch. Never raises for bad data: problems become a
per-column ``error`` (or an ``error`` key in the multivariate/performance parts)."""

from __future__ import annotations

import numpy as np
import polars as pl

from infranaut_pipelines.drift import method_registry, multivariate, performance
from infranaut_pipelines.drift.categorical import OTHER, CategoricalSummary
from infranaut_pipelines.drift.numeric import NumericSummary
from infranaut_pipelines.drift.performance_result import RealisedPerformance
from infranaut_pipelines.drift.result import ColumnDrift, DriftResult
from infranaut_pipelines.drift.scoring import (
    choose_categorical,
    choose_numeric,
    floor_categorical,
    floor_numeric,
    score_categorical,
    score_numeric,
)
from infranaut_pipelines.drift.sketch import BaselineSketch, ColumnSketch
from infranaut_pipelines.drift.spec import STATUS_ERROR, STATUS_SCORED, STATUS_TOO_FEW, ColumnSpec, DriftSettings
from infranaut_pipelines.drift.summarise import iter_batches, one_blas_thread, submit, summarise_batch

CHART_BINS = 30
CHART_CATEGORIES = 20


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _numeric_stats(ref: NumericSummary, cur: NumericSummary) -> dict:
    ref_rows = ref.n + ref.n_null + ref.n_nan + ref.n_inf
    cur_rows = cur.n + cur.n_null + cur.n_nan + cur.n_inf
    st = {
        "n_ref": ref.n, "n_cur": cur.n, "ref_mean": ref.mean, "cur_mean": cur.mean, "ref_std": ref.std,
        "cur_std": cur.std, "ref_min": ref.vmin, "ref_max": ref.vmax,
        "cur_min": cur.vmin if cur.n else None, "cur_max": cur.vmax if cur.n else None,
        "ref_null_share": _share(ref.n_null, ref_rows), "cur_null_share": _share(cur.n_null, cur_rows),
        "cur_nan": cur.n_nan, "cur_inf": cur.n_inf, "cur_unparsed": cur.n_unparsed,
    }
    if cur.n:
        lo, hi = min(ref.vmin, cur.vmin), max(ref.vmax, cur.vmax)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        b = np.linspace(lo, hi, CHART_BINS + 1)
        fr, fc = ref.cdf_at(b), cur.cdf_at(b)
        fr[0] = fc[0] = 0.0
        fr[-1] = fc[-1] = 1.0
        st["histogram"] = {"edges": b.tolist(), "ref": np.clip(np.diff(fr), 0, 1).tolist(),
                           "cur": np.clip(np.diff(fc), 0, 1).tolist()}
    return st


def _categorical_stats(ref: CategoricalSummary, cur: CategoricalSummary) -> dict:
    new = sorted((k for k in cur.counts if k not in ref.counts), key=lambda k: -cur.counts[k])
    tot = {k: ref.counts.get(k, 0) / max(ref.n, 1) + cur.counts.get(k, 0) / max(cur.n, 1)
           for k in set(ref.counts) | set(cur.counts)}
    top = sorted(tot, key=lambda k: (-tot[k], k))[:CHART_CATEGORIES]
    return {
        "n_ref": ref.n, "n_cur": cur.n, "ref_categories": len(ref.counts), "cur_categories": len(cur.counts),
        "ref_null_share": _share(ref.n_null, ref.n + ref.n_null), "cur_null_share": _share(cur.n_null, cur.n + cur.n_null),
        "new_categories": new[:CHART_CATEGORIES], "n_new_categories": len(new),
        "new_category_share": _share(sum(cur.counts[k] for k in new), cur.n),
        "missing_categories": sum(1 for k in ref.counts if k not in cur.counts),
        "categories": {"labels": top, "ref": [ref.counts.get(k, 0) / max(ref.n, 1) for k in top],
                       "cur": [cur.counts.get(k, 0) / max(cur.n, 1) for k in top]},
    }


def _verdict(spec: ColumnSpec, cs: ColumnSketch, summ, settings: DriftSettings, n_current: int) -> ColumnDrift:
    out = ColumnDrift(spec.name, spec.kind, spec.role, spec.method, None, spec.threshold, False)
    if cs.kind == "numeric":
        out.stats = _numeric_stats(cs.numeric, summ)
    else:
        if cs.lumped:
            summ = summ.lump(set(cs.categorical.counts) - {OTHER})
        out.stats = _categorical_stats(cs.categorical, summ)
    if summ.n == 0:
        out.error = "current data is empty" if n_current == 0 else "no usable (non-null, finite) values in current data"
        return out
    two_sample = not settings.evidently_compatible
    if cs.kind == "numeric":
        method = spec.method or choose_numeric(cs.numeric, summ, cs.exact, cs.n_unique)
    else:
        method = spec.method or choose_categorical(cs.categorical, summ)
    out.method = method
    record = method_registry.get(method)
    if not record.from_sketch:
        out.error = f"method {method!r} needs the raw reference rows, which a baseline sketch does not keep"
        return out
    low = settings.effective_min_rows
    if summ.n < low or cs.n < low:
        # reported, not scored: a verdict from this few values would be noise (see spec.MIN_ROWS)
        out.status = STATUS_TOO_FEW
        side, n = ("current", summ.n) if summ.n < low else ("reference", cs.n)
        out.stats["status_detail"] = f"{n} usable {side} values, minimum {low}"
        return out
    if cs.kind == "numeric":
        res = score_numeric(method, cs.numeric, summ, cs.numeric.std, cs.exact, cs.n_unique, two_sample)
    else:
        res = score_categorical(method, cs.categorical, summ, two_sample)
    out.stats.update({k: v for k, v in res.items() if k != "score"})
    learned = (cs.learned or {}).get(method) if settings.learned_thresholds and spec.threshold is None else None
    if learned:
        out.score, out.threshold = res["statistic"], learned["upper"]
        out.drifted = bool(res["statistic"] > learned["upper"])
        out.stats.update({"threshold_source": "learned", "default_score": res["score"]})
    else:
        out.score = res["score"]
        out.threshold = spec.threshold if spec.threshold is not None else record.default_threshold
        out.stats["threshold_source"] = "column" if spec.threshold is not None else "default"
        if (settings.size_aware_thresholds and not settings.evidently_compatible and spec.threshold is None
                and record.noise_floor):
            # a small day: the default distance threshold is raised to what an unchanged day of this
            # size reads (noise_floor.py); large days and explicit thresholds are left as they are
            floor = (floor_numeric(method, cs.numeric, summ, cs.numeric.std, cs.exact, cs.n_unique)
                     if cs.kind == "numeric" else floor_categorical(method, cs.categorical, summ))
            if floor is not None:
                out.stats["noise_floor"] = floor
                if floor > out.threshold:
                    out.threshold = floor
                    out.stats["threshold_source"] = "sample size"
        out.drifted = bool(record.is_drift(res["score"], out.threshold))
    return out


def compare(
    sketch: BaselineSketch,
    current: pl.DataFrame | pl.LazyFrame,
    columns: list[ColumnSpec],
    settings: DriftSettings | None = None,
    labels: pl.Series | None = None,
) -> DriftResult:
    with one_blas_thread():
        return _compare(sketch, current, columns, settings or DriftSettings(), labels)


def _compare(sketch: BaselineSketch, current: pl.DataFrame | pl.LazyFrame, columns: list[ColumnSpec],
             settings: DriftSettings, labels: pl.Series | None) -> DriftResult:
    try:
        present = set(current.collect_schema().names() if isinstance(current, pl.LazyFrame) else current.columns)
    except Exception as exc:  # noqa: BLE001 - e.g. a LazyFrame over an unreadable file
        present, read_error = set(), f"cannot read current data: {type(exc).__name__}: {exc}"
    else:
        read_error = None
    errors: dict[str, str] = {}
    numeric: dict[str, NumericSummary] = {}
    categorical: dict[str, CategoricalSummary] = {}
    for spec in columns:
        cs = sketch.columns.get(spec.name)
        if cs is None:
            errors[spec.name] = "column is not in the baseline sketch (rebuild the baseline)"
        elif cs.error:
            errors[spec.name] = f"reference: {cs.error}"
        elif cs.kind != spec.kind:
            errors[spec.name] = f"declared {spec.kind} but the baseline has it as {cs.kind}"
        elif read_error:
            errors[spec.name] = read_error
        elif spec.name not in present:
            errors[spec.name] = "column missing from current data"
        elif cs.kind == "numeric":
            ref = cs.numeric
            numeric[spec.name] = NumericSummary(ref.edges, shift=ref.shift, tracking=ref.values is not None)
        else:
            categorical[spec.name] = CategoricalSummary()
    mv = None
    if sketch.multivariate and not read_error:
        mv = multivariate.Accumulator(sketch.multivariate, settings.effective_min_rows)
    n_current = 0
    if not read_error:
        try:
            for batch in iter_batches(current, settings.batch_rows):
                n_current += batch.height
                # the multivariate pass (the longest task) runs beside the per-column ones
                mv_done = submit(mv.add, batch) if mv else None
                summarise_batch(batch, numeric, categorical, errors)
                if mv_done:
                    mv_done.result()
        except Exception as exc:  # noqa: BLE001
            msg = f"reading current data failed: {type(exc).__name__}: {exc}"
            for name in list(numeric) + list(categorical):
                errors.setdefault(name, msg)
            if mv:
                mv.error = msg

    results: list[ColumnDrift] = []
    for spec in columns:
        if spec.name in errors:
            results.append(ColumnDrift(spec.name, spec.kind, spec.role, spec.method, None, spec.threshold, False,
                                       errors[spec.name]))
            continue
        summ = numeric.get(spec.name) or categorical.get(spec.name)
        try:
            results.append(_verdict(spec, sketch.columns[spec.name], summ, settings, n_current))
        except Exception as exc:  # noqa: BLE001 - a per-column failure is reported, not raised
            results.append(ColumnDrift(spec.name, spec.kind, spec.role, spec.method, None, spec.threshold, False,
                                       f"{type(exc).__name__}: {exc}"))

    for c in results:
        if c.error is not None:
            c.status = STATUS_ERROR
    evaluated = [c for c in results if c.role == "feature" and c.status == STATUS_SCORED]
    n_too_few = sum(c.role == "feature" and c.status == STATUS_TOO_FEW for c in results)
    n_drifted = sum(c.drifted for c in evaluated)
    share = n_drifted / len(evaluated) if evaluated else 0.0
    pred = next((c for c in results if c.role == "prediction"), None)

    perf = est = None
    base = sketch.performance
    pred_name = pred.name if pred is not None else None
    if base and pred_name and pred_name in present:
        try:
            frame = current.select(pred_name).collect() if isinstance(current, pl.LazyFrame) else current
            pseries = frame.get_column(pred_name)
            if labels is not None:
                perf = performance.realised(base, pseries, labels)
            if "calibration" in base:
                est = performance.estimated(base, pseries)
        except Exception as exc:  # noqa: BLE001
            perf = RealisedPerformance(task=base.get("task"), error=f"{type(exc).__name__}: {exc}")
    return DriftResult(
        columns=results, dataset_drift=bool(evaluated) and share >= settings.drift_share, drift_share=share,
        n_drifted=n_drifted, n_reference=sketch.n_rows, n_current=n_current,
        drift_share_threshold=settings.drift_share, sketch_version=sketch.version, prediction_drift=pred,
        multivariate=mv.result() if mv else None, performance=perf, estimated_performance=est,
        n_too_few_rows=n_too_few, evidently_compatible=settings.evidently_compatible,
    )
