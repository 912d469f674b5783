"""Concept drift (realised performance once labels arrive) and a label-free estimate for binary
classifiers (confidence-based, CBPE-like), both judged against bands from reference chunks."""

from __future__ import annotations

import numpy as np
import polars as pl

from infranaut_pipelines.drift.performance_result import (
    Band,
    EstimatedPerformance,
    MetricComparison,
    RealisedPerformance,
    higher_is_better,
)
from infranaut_pipelines.drift.summarise import numeric_values

CAL_BINS = 20


def _pairs(pred: pl.Series, labels: pl.Series, task: str) -> tuple[np.ndarray, np.ndarray]:
    if pred.len() != labels.len():
        raise ValueError(f"labels have {labels.len()} rows but predictions have {pred.len()}")
    if task == "multiclass_classification":
        p, y = pred.cast(pl.String), labels.cast(pl.String)
        keep = (p.is_not_null() & y.is_not_null()).to_numpy()
        return p.to_numpy()[keep], y.to_numpy()[keep]
    p, _, _ = numeric_values(pred)
    y, _, _ = numeric_values(labels)
    keep = np.isfinite(p) & np.isfinite(y)
    return p[keep], y[keep]


def auc(score: np.ndarray, y: np.ndarray) -> float | None:
    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return None
    from scipy.stats import rankdata  # here, not at import: see methods.py

    r = rankdata(score)
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def metrics(p: np.ndarray, y: np.ndarray, task: str, thr: float) -> dict[str, float | None]:
    if p.size == 0:
        return {}
    if task == "binary_classification":
        return {"accuracy": float(((p >= thr).astype(int) == y).mean()), "auc": auc(p, y)}
    if task == "multiclass_classification":
        return {"accuracy": float((p == y).mean())}
    err = p - y
    return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err**2).mean()))}


def _band(values: list[float | None]) -> dict | None:
    v = np.array([x for x in values if x is not None], dtype=float)
    if v.size < 2:
        return None
    mu, sd = float(v.mean()), float(v.std(ddof=1))
    return {"mean": mu, "lower": mu - 3 * sd, "upper": mu + 3 * sd}


def _pav(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Pool-adjacent-violators: the non-decreasing fit, so calibrated probabilities stay monotone."""
    vals, wts, sizes = [], [], []
    for yi, wi in zip(y.tolist(), w.tolist()):
        vals.append(yi), wts.append(wi), sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            tw = wts[-2] + wts[-1]
            v = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / tw if tw else 0.0
            s = sizes[-2] + sizes[-1]
            vals[-2:], wts[-2:], sizes[-2:] = [v], [tw], [s]
    return np.repeat(vals, sizes)


def fit_calibration(p: np.ndarray, y: np.ndarray) -> dict:
    edges = np.unique(np.quantile(p, np.linspace(0, 1, CAL_BINS + 1)))
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    nb = max(len(edges) - 1, 1)
    cnt = np.bincount(idx, minlength=nb).astype(float)
    pos = np.bincount(idx, weights=y.astype(float), minlength=nb)
    rate = np.divide(pos, cnt, out=np.full(nb, y.mean()), where=cnt > 0)
    return {"edges": edges.tolist(), "prob": _pav(rate, cnt).tolist()}


def expected_accuracy(p: np.ndarray, cal: dict, thr: float) -> np.ndarray:
    edges, prob = np.asarray(cal["edges"]), np.asarray(cal["prob"])
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(prob) - 1)
    q = prob[idx]
    return np.where(p >= thr, q, 1 - q)


def fit(pred: pl.Series, labels: pl.Series, task: str, thr: float, chunks: int) -> dict:
    p, y = _pairs(pred, labels, task)
    if p.size < 2 * chunks:
        raise ValueError(f"only {p.size} labelled reference rows; need at least {2 * chunks}")
    out: dict = {"task": task, "threshold": thr, "n_labelled": int(p.size), "reference": metrics(p, y, task, thr)}
    pieces = list(zip(np.array_split(p, chunks), np.array_split(y, chunks)))
    per = [metrics(pp, yy, task, thr) for pp, yy in pieces]
    out["bands"] = {k: _band([d.get(k) for d in per]) for k in out["reference"]}
    if task == "binary_classification":
        cal = fit_calibration(p, y)
        out["calibration"] = cal
        est = [float(expected_accuracy(pp, cal, thr).mean()) for pp, _ in pieces]
        out["estimated_reference_accuracy"] = float(expected_accuracy(p, cal, thr).mean())
        out["estimated_band"] = _band(est)
    return out


def realised(baseline: dict, pred: pl.Series, labels: pl.Series) -> RealisedPerformance:
    task, thr = baseline["task"], baseline["threshold"]
    p, y = _pairs(pred, labels, task)
    out = RealisedPerformance(task=task, n_labelled=int(p.size))
    if p.size == 0:
        out.error = "no labelled rows in the current data"
        return out
    cur = metrics(p, y, task, thr)
    for name, ref_v in baseline["reference"].items():
        band, cv = Band.of(baseline["bands"].get(name)), cur.get(name)
        worse = False
        if band and cv is not None:
            worse = cv < band.lower if higher_is_better(name) else cv > band.upper
        out.metrics[name] = MetricComparison(reference=ref_v, current=cv, band=band, degraded=bool(worse))
        out.degraded = out.degraded or bool(worse)
    return out


def estimated(baseline: dict, pred: pl.Series) -> EstimatedPerformance:
    p, _, _ = numeric_values(pred)
    p = p[np.isfinite(p)]
    out = EstimatedPerformance(reference_actual=baseline["reference"]["accuracy"],
                               reference_estimated=baseline["estimated_reference_accuracy"],
                               band=Band.of(baseline.get("estimated_band")), n=int(p.size))
    if p.size == 0:
        out.error = "no predictions in the current data"
        return out
    out.estimated = float(expected_accuracy(p, baseline["calibration"], baseline["threshold"]).mean())
    out.degraded = bool(out.band is not None and out.estimated < out.band.lower)
    return out
