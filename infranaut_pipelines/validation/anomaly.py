"""Compare today's batch with the trailing window: WARN-only checks for volume, nulls, quarantine.

With at least MIN_POINTS past days the band is mean +/- 3 sigma (sigma floored so a perfectly flat
history does not flag a 0.1% wiggle); with fewer, a relative band around the mean; with none, pass.
"""

from __future__ import annotations

import json
import math
from typing import Any

import polars as pl

from infranaut_pipelines.validation.display import escape_display
from infranaut_pipelines.validation.outcome import CHECKS, CheckOutcome, ValidationOutcome

MIN_POINTS = 5
SIGMAS = 3.0
REL_BAND = 0.5  # short window: +/- 50 % of the mean
RATE_ABS_FLOOR = 0.01  # rates: ignore moves smaller than one percentage point


def _band(values: list[float], floor: float) -> tuple[float, float, str]:
    mean = sum(values) / len(values)
    if len(values) >= MIN_POINTS:
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        half = max(SIGMAS * sd, floor)
        return mean - half, mean + half, f"mean +/- {SIGMAS:g} sigma"
    half = max(abs(mean) * REL_BAND, floor)
    return mean - half, mean + half, f"mean +/- {REL_BAND:.0%} (short window)"


def _outcome(name: str, ok: bool, meta: dict[str, Any]) -> CheckOutcome:
    blocking, description = CHECKS[name]
    return CheckOutcome(name, ok, blocking, "WARN", description, meta)


def _scalar(name: str, history: list[float], value: float, floor: float) -> CheckOutcome:
    if not history:
        return _outcome(name, True, {"value": value, "history_days": 0, "note": "no history yet"})
    lo, hi, how = _band(history, floor)
    ok = lo <= value <= hi
    return _outcome(name, ok, {"value": round(value, 6), "lower": round(lo, 6), "upper": round(hi, 6),
                               "history_days": len(history), "band": how})


def anomaly_checks(history: pl.DataFrame, outcome: ValidationOutcome) -> list[CheckOutcome]:
    m = outcome.metrics
    rows_hist = [float(x) for x in history["rows_raw"].to_list()] if history.height else []
    q_hist = [float(x) for x in history["quarantine_share"].to_list()] if history.height else []
    out = [
        _scalar("volume_anomaly", rows_hist, float(m["rows_raw"]), floor=max(1.0, 0.05 * (sum(rows_hist) / len(rows_hist) if rows_hist else 0))),
        _scalar("quarantine_rate_anomaly", q_hist, float(m["quarantine_share"]), floor=RATE_ABS_FLOOR),
    ]
    past = [json.loads(s) for s in history["null_rates"].to_list()] if history.height else []
    flagged: list[str] = []
    details: dict[str, Any] = {}
    for col, rate in m.get("null_rates", {}).items():
        series = [float(p[col]) for p in past if col in p]
        if not series:
            continue
        lo, hi, _ = _band(series, RATE_ABS_FLOOR)
        if not lo <= rate <= hi:
            flagged.append(col)
            details[f"null_rate.{col}"] = round(rate, 6)
            details[f"band.{col}"] = f"[{max(lo, 0):.4f}, {hi:.4f}]"
    meta: dict[str, Any] = {"history_days": len(past), "flagged_columns": escape_display(", ".join(flagged))}
    meta.update(details)
    out.insert(1, _outcome("null_rate_anomaly", not flagged, meta))
    return out
