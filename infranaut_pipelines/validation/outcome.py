"""The result types of a validation run and the fixed catalogue of check names.

The catalogue is static (same names for every model) so the Dagster side can declare its
AssetCheckSpecs at definitions load, before any data exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

Severity = Literal["ERROR", "WARN"]

# name -> (blocking, description). "Blocking" follows Dagster semantics: only a failure reported with
# severity ERROR stops downstream assets; a blocking check may still fail with WARN (warning-level rules).
CHECKS: dict[str, tuple[bool, str]] = {
    "schema_conforms": (True, "Required columns are present, values have the registry's types, no coercion errors."),
    "required_not_null": (True, "Identity columns, non-nullable features and the prediction of 'ok' rows are not null."),
    "values_in_range": (True, "Numeric features, latency and the prediction lie within their declared ranges."),
    "allowed_categories": (
        True,
        "Categorical values are in their declared sets (new values are an error where not allowed, a warning where allowed).",
    ),
    "unique_prediction_id": (True, "prediction_id is unique in the batch (first occurrence kept)."),
    "timestamps_in_partition_day": (True, "Every timestamp lies within the partition's UTC day."),
    "custom_rules": (True, "Rules declared in the registry (validation.rules); severity per rule."),
    "rows_accounted_for": (True, "Every raw row ends up either valid or quarantined."),
    "volume_anomaly": (False, "Row count is within the trailing window's normal band."),
    "null_rate_anomaly": (False, "Per-column null rates are within the trailing window's normal band."),
    "quarantine_rate_anomaly": (False, "Quarantine share is within the trailing window's normal band."),
}

ROW_CHECKS = [c for c in CHECKS if c not in ("rows_accounted_for",) and not c.endswith("_anomaly")]


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    blocking: bool
    severity: Severity
    description: str
    metadata: dict[str, str | int | float] = field(default_factory=dict)
    # One dict per GX expectation: type, column, success, unexpected_count, unexpected_percent, examples.
    expectations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def blocks_downstream(self) -> bool:
        return self.blocking and not self.passed and self.severity == "ERROR"


@dataclass
class ValidationOutcome:
    model_id: str
    partition_date: dt.date
    valid: pl.DataFrame
    quarantine: pl.DataFrame
    checks: dict[str, CheckOutcome]
    quality_score: float
    metrics: dict[str, Any]

    @property
    def passed(self) -> bool:
        """False when any check fails in a way that should stop downstream assets."""
        return not any(c.blocks_downstream for c in self.checks.values())

    @property
    def failed_checks(self) -> list[str]:
        return [n for n, c in self.checks.items() if not c.passed]
