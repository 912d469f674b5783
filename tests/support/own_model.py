"""A stranger's model: a registry and drops of the tests' own, sharing nothing with the demo.

``subscription_churn`` is a binary classifier with no labels at all and a rolling 3-day baseline, as a
team that never saw the demo would declare it by following the README's "Monitor your own model".
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import polars as pl

MODEL = "subscription_churn"

REGISTRY_YAML = f"""\
models:
  - id: {MODEL}
    task: binary_classification
    owner: growth-ml
    features:
      - {{name: tenure_months, type: int, min: 0, max: 240}}
      - {{name: monthly_spend, type: float, min: 0, max: 5000}}
      - {{name: plan, type: category, values: [basic, plus, pro]}}
      - {{name: support_tickets, type: int, min: 0, max: 100}}
      - {{name: autopay, type: bool}}
    prediction: {{column: churn_score, threshold: 0.5}}
    label: {{column: churned, timestamp_column: labelled_at, lag_days: 0}}
    sla: {{latency_p95_ms: 250, error_rate: 0.05}}
    drift:
      baseline: {{rolling_days: 3}}
    alerts: {{slack_channel: "#growth-ml"}}
"""


def write_registry(folder: Path, text: str = REGISTRY_YAML) -> Path:
    path = folder / "models.yaml"
    path.write_text(text)
    return path


def inference_frame(day: dt.date, rows: int = 400, seed: int = 0, spend_shift: float = 0.0,
                    model: str = MODEL) -> pl.DataFrame:
    """One day of traffic; ``spend_shift`` moves monthly_spend by that many standard deviations."""
    rng = np.random.default_rng(seed + day.toordinal())
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
    spend = rng.gamma(4.0, 20.0, rows) + spend_shift * 40.0
    return pl.DataFrame({
        "prediction_id": [f"{model}-{day.isoformat()}-{i}" for i in range(rows)],
        "model_id": [model] * rows,
        "model_version": ["2.0.1"] * rows,
        "timestamp": [start + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 86_399, rows)],
        "tenure_months": rng.integers(0, 120, rows),
        "monthly_spend": np.clip(spend, 0, 5000),
        "plan": rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2]).tolist(),
        "support_tickets": rng.poisson(1.0, rows),
        "autopay": rng.random(rows) < 0.6,
        "churn_score": rng.beta(2, 5, rows),
        "latency_ms": rng.gamma(3.0, 30.0, rows),
        "status": ["ok"] * rows,
    })


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()


def drop_key(day: dt.date, name: str = "part-0.parquet", model: str = MODEL) -> str:
    return f"inferences/{model}/dt={day.isoformat()}/{name}"


def label_frame(inferences: pl.DataFrame, seed: int = 0, noise: float = 0.0,
                label_column: str = "churned") -> pl.DataFrame:
    """Labels for a day's predictions, drawn from the scores (a calibrated model); ``noise`` is the share of
    rows whose label is replaced by a coin flip (a model that got worse)."""
    rng = np.random.default_rng(seed + 7)
    score = inferences.get_column("churn_score").to_numpy()
    label = rng.random(score.size) < score
    flip = rng.random(score.size) < noise
    label = np.where(flip, rng.random(score.size) < 0.5, label)
    ts = inferences.get_column("timestamp").max()
    return pl.DataFrame({
        "prediction_id": inferences.get_column("prediction_id"),
        label_column: label,
        "labelled_at": [ts + dt.timedelta(days=1)] * score.size,  # type: ignore[operator]
    })


def label_key(day: dt.date, name: str = "labels-0.parquet", model: str = MODEL) -> str:
    return f"labels/{model}/dt={day.isoformat()}/{name}"


def stranger_env(folder: Path, registry_text: str, slack_api_base_url: str, slack_token: str) -> dict[str, str | None]:
    """The environment of a team that never saw the demo: its registry, the shipped rules, a local Slack."""
    return {
        "INFRANAUT_DATA_DIR": str(folder / "data"),
        "INFRANAUT_REGISTRY": str(write_registry(folder, registry_text)),
        "INFRANAUT_ALERT_RULES": None,
        "SLACK_BOT_TOKEN": slack_token,
        "SLACK_API_BASE_URL": slack_api_base_url,
        "SLACK_WEBHOOK_URL": None,
    }
