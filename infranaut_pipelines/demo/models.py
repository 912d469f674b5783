"""Clean, realistic demo rows for each registry model, with one known drift episode per demo model.

Features are drawn independently of each other so that drifting one feature leaves the marginal
distribution of every other feature untouched: the drift detector must flag exactly the declared features.
The prediction (and the label) depend on the features, so they move with the drift, as they would in production.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infranaut_pipelines.registry.schema import FeatureSpec, ModelSpec


@dataclass(frozen=True)
class DriftEpisode:
    """From ``start_day_index`` (0 = the demo's first day) on, exactly ``features`` change distribution."""

    start_day_index: int
    features: tuple[str, ...]
    description: str = ""

    def active(self, day_index: int) -> bool:
        return day_index >= self.start_day_index

    def to_dict(self) -> dict[str, object]:
        return {"start_day_index": self.start_day_index, "features": list(self.features), "description": self.description}


DRIFT_EPISODES: dict[str, DriftEpisode] = {
    "fraud_detector": DriftEpisode(
        start_day_index=5,
        features=("amount", "merchant_category"),
        description="amount scale x1.8; merchant_category mass moves to electronics and online",
    ),
    "demand_forecaster": DriftEpisode(
        start_day_index=5,
        features=("temperature_c", "competitor_price"),
        description="temperature_c +9 C (heat wave); competitor_price x1.3",
    ),
}

# Day indexes on which the model's serving latency breaches its SLA (p95 above sla.latency_p95_ms).
LATENCY_BREACH_DAYS: dict[str, tuple[int, ...]] = {"fraud_detector": (7,)}

MODEL_VERSIONS: dict[str, str] = {"fraud_detector": "1.4.0", "demand_forecaster": "2.1.3"}
DEFAULT_MODEL_VERSION = "1.0.0"

ERROR_RATE = 0.005  # share of calls that fail and carry no prediction

MERCHANTS = ("grocery", "electronics", "travel", "restaurants", "fuel", "online")
MERCHANT_P = (0.30, 0.10, 0.08, 0.22, 0.18, 0.12)
MERCHANT_P_DRIFT = (0.15, 0.28, 0.07, 0.12, 0.10, 0.28)
DEVICES = ("mobile", "desktop", "tablet")
DEVICE_P = (0.62, 0.30, 0.08)
REGIONS = ("north", "south", "east", "west")
REGION_P = (0.30, 0.25, 0.20, 0.25)
REGION_FACTOR = {"north": 0.9, "south": 1.15, "east": 1.0, "west": 1.05}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _fraud_features(n: int, rng: np.random.Generator, drift: bool) -> dict[str, np.ndarray]:
    amount = rng.lognormal(mean=3.7, sigma=0.85, size=n) * (1.8 if drift else 1.0)
    merchant = rng.choice(MERCHANTS, size=n, p=MERCHANT_P_DRIFT if drift else MERCHANT_P)
    user = rng.integers(1, 60_000, size=n)
    email = np.array([f"user{u}@example.com" for u in user], dtype=object)
    email[rng.random(n) < 0.02] = None  # guest checkouts: the registry allows nulls here
    return {
        "amount": np.round(np.clip(amount, 0.5, 50_000.0), 2),
        "merchant_category": merchant.astype(object),
        "account_age_days": np.clip(rng.gamma(2.0, 400.0, size=n), 0, 20_000).astype(np.int64),
        "num_tx_24h": np.clip(rng.poisson(3.0, size=n), 0, 500).astype(np.int64),
        "distance_from_home_km": np.round(np.clip(rng.lognormal(2.3, 1.1, size=n), 0.0, 20_000.0), 2),
        "is_international": rng.random(n) < 0.06,
        "device_type": rng.choice(DEVICES, size=n, p=DEVICE_P).astype(object),
        "customer_email": email,
    }


def _fraud_logit(f: dict[str, np.ndarray]) -> np.ndarray:
    m = f["merchant_category"]
    return (
        -4.6
        + 0.9 * np.log(f["amount"] / 40.0)
        + 1.5 * np.isin(m, ("electronics", "online"))
        + 0.8 * (m == "travel")
        - 0.7 * np.log1p(f["account_age_days"] / 365.0)
        + 0.22 * f["num_tx_24h"]
        + 0.4 * np.log1p(f["distance_from_home_km"] / 10.0)
        + 1.8 * f["is_international"]
        + 0.3 * (f["device_type"] == "mobile")
    )


def _demand_features(n: int, rng: np.random.Generator, drift: bool) -> dict[str, np.ndarray]:
    temperature = rng.normal(12.0, 6.0, size=n) + (9.0 if drift else 0.0)
    price = rng.lognormal(np.log(20.0), 0.35, size=n)
    competitor = price * rng.lognormal(0.0, 0.08, size=n) * (1.3 if drift else 1.0)
    return {
        "temperature_c": np.round(np.clip(temperature, -40.0, 50.0), 1),
        "price": np.round(np.clip(price, 0.5, 1000.0), 2),
        "competitor_price": np.round(np.clip(competitor, 0.5, 1000.0), 2),
        "promo": rng.random(n) < 0.15,
        "store_region": rng.choice(REGIONS, size=n, p=REGION_P).astype(object),
        "inventory_level": np.clip(rng.gamma(4.0, 100.0, size=n), 0, 10_000).astype(np.int64),
    }


def _demand_mean(f: dict[str, np.ndarray]) -> np.ndarray:
    region = np.array([REGION_FACTOR[r] for r in f["store_region"]])
    return (
        40.0
        * (f["price"] / 20.0) ** -1.2
        * (f["competitor_price"] / f["price"]) ** 0.8
        * (1.0 + 0.5 * f["promo"])
        * region
        * np.clip(1.0 + 0.015 * (f["temperature_c"] - 12.0), 0.3, 2.0)
    )


def _generic_feature(spec: FeatureSpec, n: int, rng: np.random.Generator) -> np.ndarray:
    """For registry models the demo does not know: plausible values inside the declared bounds."""
    if spec.type == "bool":
        return rng.random(n) < 0.2
    if spec.type == "category":
        values = spec.values or [f"{spec.name}_{i}" for i in range(5)]
        return rng.choice(values, size=n).astype(object)
    lo = spec.min if spec.min is not None else (0.0 if spec.max is None else spec.max - 100.0)
    hi = spec.max if spec.max is not None else lo + 100.0
    mid, width = (lo + hi) / 2.0, (hi - lo) / 8.0
    x = np.clip(rng.normal(mid, width, size=n), lo, hi)
    return np.round(x).astype(np.int64) if spec.type == "int" else np.round(x, 3)


def _timestamps(day: dt.date, n: int, rng: np.random.Generator) -> pd.DatetimeIndex:
    """Sorted UTC timestamps with a daytime peak, all inside ``day``."""
    hours = np.where(rng.random(n) < 0.75, rng.normal(14.0, 4.0, size=n), rng.uniform(0.0, 24.0, size=n))
    ms = np.sort(np.clip((hours * 3_600_000).astype(np.int64), 0, 86_400_000 - 1))
    base = pd.Timestamp(day.isoformat(), tz="UTC")
    return base + pd.to_timedelta(ms, unit="ms")


def generate_day(
    spec: ModelSpec, day: dt.date, day_index: int, n: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """One day of clean inference rows, plus the true label of every row (labels are written separately)."""
    episode = DRIFT_EPISODES.get(spec.id)
    drift = episode is not None and episode.active(day_index)
    pred_col = spec.prediction.column
    if spec.id == "fraud_detector":
        feats = _fraud_features(n, rng, drift)
        logit = _fraud_logit(feats)
        # The model is good but not perfect: its score is the true risk seen through some noise.
        pred = np.round(_sigmoid(logit + rng.normal(0.0, 0.5, size=n)), 6)
        labels = (rng.random(n) < _sigmoid(logit)).astype(np.int64)
    elif spec.id == "demand_forecaster":
        feats = _demand_features(n, rng, drift)
        mean = _demand_mean(feats)
        pred = np.round(np.maximum(mean * rng.lognormal(0.0, 0.05, size=n), 0.0), 2)
        labels = np.maximum(np.round(pred + rng.normal(0.0, 0.15 * pred + 2.0)), 0).astype(np.int64)
    else:
        feats = {f.name: _generic_feature(f, n, rng) for f in spec.features}
        pred, labels = _generic_prediction(spec, n, rng)

    sla = spec.sla.latency_p95_ms
    breach = day_index in LATENCY_BREACH_DAYS.get(spec.id, ())
    # Median at ~40% of the SLA and sigma 0.4: p95 ~ 0.77 x SLA normally, ~1.5 x SLA on a breach day.
    latency = rng.lognormal(np.log(sla * (0.78 if breach else 0.40)), 0.4, size=n)
    status = np.where(rng.random(n) < ERROR_RATE, "error", "ok").astype(object)
    pred = pred.astype(np.float64) if pred.dtype.kind in "fi" else pred.astype(object)
    pred[status == "error"] = np.nan if pred.dtype.kind == "f" else None

    frame = pd.DataFrame(
        {
            "prediction_id": [f"{spec.id}-{day.isoformat()}-{i:06d}" for i in range(n)],
            "model_id": spec.id,
            "model_version": MODEL_VERSIONS.get(spec.id, DEFAULT_MODEL_VERSION),
            "timestamp": _timestamps(day, n, rng),
            "latency_ms": np.round(latency, 2),
            "status": status,
            **{f.name: feats[f.name] for f in spec.features},
            pred_col: pred,
        }
    )
    frame["prediction_id"] = frame["prediction_id"].astype(object)
    return frame, labels


def _generic_prediction(spec: ModelSpec, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if spec.task == "binary_classification":
        score = rng.beta(1.0, 12.0, size=n)
        return np.round(score, 6), (rng.random(n) < score).astype(np.int64)
    if spec.task == "multiclass_classification":
        classes = spec.prediction.classes or ["a", "b"]
        pred = rng.choice(classes, size=n).astype(object)
        flip = rng.random(n) < 0.2
        truth = np.where(flip, rng.choice(classes, size=n), pred).astype(object)
        return pred, truth
    lo = spec.prediction.min if spec.prediction.min is not None else 0.0
    pred = lo + rng.gamma(4.0, 10.0, size=n)
    return np.round(pred, 2), np.round(pred + rng.normal(0.0, 5.0, size=n), 2)
