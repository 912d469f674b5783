"""Known warehouse rows for the dbt tests and the expected metrics, computed independently in Python."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from scipy.stats import rankdata

DAY = dt.date(2026, 11, 14)
EMPTY_DAY = dt.date(2026, 11, 15)
BINARY = "fraud_detector"
REGRESSION = "demand_forecaster"
MULTICLASS = "intent_router"

REGISTRY = pl.DataFrame(
    {
        "model_id": [BINARY, REGRESSION, MULTICLASS],
        "task": ["binary_classification", "regression", "multiclass_classification"],
        "prediction_threshold": [0.5, None, None],
        "sla_latency_p95_ms": [120.0, 300.0, 200.0],
        "sla_error_rate": [0.02, 0.05, 0.1],
    },
    schema_overrides={"prediction_threshold": pl.Float64},
)


def _inferences(model_id: str, n: int, seed: int, task: str) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC)
    seconds = np.sort(rng.integers(0, 86_400, n))
    status = np.where(rng.random(n) < 0.04, "error", "ok")
    latency = np.round(rng.gamma(4.0, 20.0, n), 3)
    if task == "binary_classification":
        # Scores rounded to 2 decimals so that ties exercise the average-rank AUC.
        value = np.round(rng.beta(2, 5, n), 2)
        cls = np.where(value >= 0.5, "1", "0").astype(object)
    elif task == "regression":
        value = np.round(rng.gamma(3.0, 10.0, n), 3)
        cls = np.full(n, None, dtype=object)
    else:
        value = np.full(n, np.nan)
        cls = rng.choice(["billing", "tech", "sales"], n).astype(object)
    value_list = [None if (s == "error" or np.isnan(v)) else float(v) for s, v in zip(status, value)]
    cls_list = [None if s == "error" else c for s, c in zip(status, cls)]
    return pl.DataFrame(
        {
            "model_id": [model_id] * n,
            "partition_date": [DAY] * n,
            "prediction_id": [f"{model_id}-{i:05d}" for i in range(n)],
            "model_version": ["v1"] * n,
            "timestamp": [start + dt.timedelta(seconds=int(s)) for s in seconds],
            "latency_ms": latency,
            "status": status,
            "prediction_value": value_list,
            "prediction_class": cls_list,
        },
        schema_overrides={
            "prediction_value": pl.Float64,
            "prediction_class": pl.Utf8,
            "timestamp": pl.Datetime("us", "UTC"),
        },
    )


def _labels(inf: pl.DataFrame, seed: int, task: str) -> pl.DataFrame:
    """Labels for ~70% of predictions, a superseded earlier label for some, and 3 unknown prediction ids."""
    rng = np.random.default_rng(seed)
    picked = inf.filter(pl.Series(rng.random(inf.height) < 0.7))
    n = picked.height
    ts = dt.datetime.combine(DAY + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    if task == "binary_classification":
        score = picked["prediction_value"].fill_null(0.3).to_numpy()
        label_value = (rng.random(n) < score).astype(float)
        label_class = [str(int(v)) for v in label_value]
    elif task == "regression":
        label_value = picked["prediction_value"].fill_null(30.0).to_numpy() + rng.normal(0, 5, n)
        label_class = [None] * n
    else:
        label_value = np.full(n, np.nan)
        keep = rng.random(n) < 0.6
        other = rng.choice(["billing", "tech", "sales"], n)
        label_class = [p if (k and p is not None) else o for p, k, o in zip(picked["prediction_class"], keep, other)]
    lv = [None if np.isnan(v) else float(v) for v in label_value]
    final = pl.DataFrame(
        {
            "model_id": picked["model_id"],
            "partition_date": picked["partition_date"],
            "prediction_id": picked["prediction_id"],
            "label_value": lv,
            "label_class": label_class,
            "label_timestamp": [ts] * n,
        },
        schema_overrides={"label_value": pl.Float64, "label_class": pl.Utf8, "label_timestamp": pl.Datetime("us", "UTC")},
    )
    # An older, wrong label for the first 20 labelled predictions: the latest label must win.
    stale = final.head(20).with_columns(
        pl.lit(ts - dt.timedelta(days=1)).alias("label_timestamp"),
        (pl.lit(123.0) if task == "regression" else pl.col("label_value")).alias("label_value"),
        pl.when(pl.col("label_class") == "1").then(pl.lit("0")).otherwise(pl.lit("1")).alias("label_class")
        if task != "regression"
        else pl.col("label_class"),
    )
    unknown = final.head(3).with_columns(pl.format("unknown-{}", pl.col("prediction_id")).alias("prediction_id"))
    return pl.concat([final, stale, unknown])


def dataset() -> dict[str, dict[str, pl.DataFrame]]:
    """{model_id: {"inference_log": frame, "label_log": frame}} for DAY."""
    out = {}
    for seed, (model_id, task, n) in enumerate(
        [(BINARY, "binary_classification", 1200), (REGRESSION, "regression", 800), (MULTICLASS, "multiclass_classification", 500)]
    ):
        inf = _inferences(model_id, n, seed, task)
        out[model_id] = {"inference_log": inf, "label_log": _labels(inf, seed + 100, task)}
    return out


def expected_daily(model_id: str, frames: dict[str, pl.DataFrame]) -> dict[str, float | int | bool | None]:
    """The daily metrics recomputed with numpy/scipy from the same rows."""
    inf, lab = frames["inference_log"], frames["label_log"]
    task, sla_p95, sla_err = REGISTRY.filter(pl.col("model_id") == model_id).select(
        "task", "sla_latency_p95_ms", "sla_error_rate"
    ).row(0)
    latency = inf["latency_ms"].to_numpy()
    errors = int((inf["status"] == "error").sum())
    ok = inf.filter(pl.col("status") == "ok")
    latest = lab.sort("label_timestamp").unique("prediction_id", keep="last")
    joined = ok.join(latest, on="prediction_id", how="inner")
    p95 = float(np.percentile(latency, 95))
    out: dict[str, float | int | bool | None] = {
        "request_count": inf.height,
        "error_count": errors,
        "error_rate": errors / inf.height,
        "latency_p50_ms": float(np.percentile(latency, 50)),
        "latency_p95_ms": p95,
        "latency_p99_ms": float(np.percentile(latency, 99)),
        "labelled_count": joined.height,
        "unknown_label_count": int((~latest["prediction_id"].is_in(inf["prediction_id"].implode())).sum()),
        "latency_sla_breached": p95 > sla_p95,
        "error_rate_sla_breached": errors / inf.height > sla_err,
    }
    if task != "multiclass_classification":
        values = ok["prediction_value"].to_numpy()
        out["prediction_mean"] = float(values.mean())
        out["prediction_std"] = float(values.std(ddof=1))
    if task == "binary_classification":
        pred = (joined["prediction_class"] == "1").to_numpy()
        y = (joined["label_class"] == "1").to_numpy()
        score = joined["prediction_value"].to_numpy()
        ranks = rankdata(score)  # average ranks for ties
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        out["positive_rate"] = float((ok["prediction_class"] == "1").mean())
        out["accuracy"] = float((pred == y).mean())
        out["precision"] = float((pred & y).sum() / pred.sum())
        out["recall"] = float((pred & y).sum() / y.sum())
        out["auc"] = float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    elif task == "regression":
        diff = joined["prediction_value"].to_numpy() - joined["label_value"].to_numpy()
        out["mae"] = float(np.abs(diff).mean())
        out["rmse"] = float(np.sqrt((diff**2).mean()))
    else:
        out["accuracy"] = float((joined["prediction_class"] == joined["label_class"]).mean())
    return out
