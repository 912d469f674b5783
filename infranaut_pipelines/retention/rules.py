"""What each table and asset's age is measured by, and what must survive whatever its age (pure).

Every rule's SQL is a constant of this file (no value from data or configuration is ever pasted into it);
days and model ids are bound parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ColumnKind = Literal["date", "naive", "aware"]  # a DATE, a naive-UTC timestamp, a timezone-aware timestamp


@dataclass(frozen=True)
class TableRule:
    column: str  # the row's age
    kind: ColumnKind
    per_model_day: bool = True  # has (model_id, partition_date): a protected model day keeps its rows
    guard: str = ""  # further condition a row must meet to be deletable
    meaning: str = ""


# Alerts that are not resolved (open, suppressed) keep their state row and their whole history.
_LIVE_ALERTS = "SELECT fingerprint FROM alert_state WHERE status <> 'resolved'"

TABLE_RULES: dict[str, TableRule] = {
    "inference_log": TableRule("partition_date", "date", meaning="one row per valid prediction"),
    "label_log": TableRule("partition_date", "date", meaning="one row per label"),
    "validation_results": TableRule("partition_date", "date", meaning="validation outcome per partition"),
    "rejected_drops": TableRule("rejected_at", "aware", per_model_day=False, meaning="rejected landing objects"),
    "drift_results": TableRule("partition_date", "date", meaning="per-column drift per partition"),
    "drift_summaries": TableRule("partition_date", "date", meaning="drift verdict per partition"),
    "hourly_model_metrics": TableRule("partition_date", "date", meaning="dbt: metrics per hour"),
    "daily_model_metrics": TableRule("partition_date", "date", meaning="dbt: metrics per day"),
    "model_metrics": TableRule("partition_date", "date", meaning="dbt: long-format metrics per day"),
    "alert_events": TableRule("partition_date", "date", guard=f"fingerprint NOT IN ({_LIVE_ALERTS})",
                              meaning="alert history (never of an alert still open)"),
    "alert_evaluations": TableRule("partition_date", "date", meaning="one row per alert evaluation"),
    "alert_outbox": TableRule("sent_at", "naive", per_model_day=False,
                              guard="status = 'sent' AND in_doubt = FALSE",
                              meaning="Slack messages: delivered ones only (pending and failed stay)"),
    "alert_state": TableRule("resolved_at", "naive", per_model_day=False, guard="status = 'resolved'",
                             meaning="alert state: resolved alerts only"),
}

# Lake assets kept as ``<asset>/model=<id>/date=<day>.parquet``, and the reports (``reports/<id>/<day>/``).
LAKE_ASSETS: tuple[str, ...] = (
    "raw_inferences", "raw_labels", "validated_inferences", "validated_labels",
    "quarantined_inferences", "quarantined_labels", "model_features", "reports",
)

# model -> days that must stay (the baseline window, days waiting for a first baseline), or ALL.
ALL_DAYS = "all"
Protected = Mapping[str, "set[dt.date] | str"]


def cutoff_day(today: dt.date, days: int) -> dt.date:
    """The oldest day kept: ``days`` days are kept, today included."""
    return today - dt.timedelta(days=days - 1)


def delete_condition(rule: TableRule, cutoff: dt.date, protected: Protected) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (and its parameters) selecting the rows of a table that are past retention."""
    params: dict[str, Any] = {}
    if rule.kind == "date":
        params["cutoff"] = cutoff
    else:
        midnight = dt.datetime.combine(cutoff, dt.time(), tzinfo=dt.timezone.utc)
        params["cutoff"] = midnight if rule.kind == "aware" else midnight.replace(tzinfo=None)
    parts = [f'"{rule.column}" IS NOT NULL', f'"{rule.column}" < :cutoff']
    if rule.guard:
        parts.append(f"({rule.guard})")
    if rule.per_model_day:
        kept = []
        for i, (model_id, days) in enumerate(sorted(protected.items())):
            params[f"m{i}"] = model_id
            if days == ALL_DAYS:
                kept.append(f'"model_id" = :m{i}')
                continue
            old = sorted(d for d in days if d < cutoff)  # newer days are kept anyway
            if not old:
                continue
            names = []
            for j, day in enumerate(old):
                params[f"m{i}d{j}"] = day
                names.append(f":m{i}d{j}")
            kept.append(f'("model_id" = :m{i} AND "partition_date" IN ({", ".join(names)}))')
        if kept:
            parts.append(f"NOT ({' OR '.join(kept)})")
    return " AND ".join(parts), params


def lake_partition(asset: str, key: str) -> tuple[str, dt.date, str] | None:
    """(model, day, what to delete) of a lake key of ``asset``, or None for a key of another shape."""
    if asset == "reports":
        parts = key.split("/")
        if len(parts) < 4 or parts[0] != "reports":
            return None
        day, target = _day(parts[2]), f"reports/{parts[1]}/{parts[2]}/"
    else:
        parts = key.split("/")
        if len(parts) != 3 or parts[0] != asset or not parts[1].startswith("model="):
            return None
        name = parts[2]
        if not (name.startswith("date=") and name.endswith(".parquet")):
            return None
        day, target = _day(name[len("date="):-len(".parquet")]), key
        parts[1] = parts[1][len("model="):]
    return (parts[1], day, target) if day else None


def expired(model_id: str, day: dt.date, cutoff: dt.date, protected: Protected) -> bool:
    if day >= cutoff:
        return False
    kept = protected.get(model_id, set())
    return not (kept == ALL_DAYS or day in kept)


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None
