"""The model registry's schema: what a team declares about each monitored model.

Pydantic models with ``extra="forbid"`` so that a typo in the YAML (``treshold``) is an error
naming the field rather than a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from infranaut_pipelines.drift.method_registry import method_names

Task = Literal["binary_classification", "multiclass_classification", "regression"]
FeatureType = Literal["float", "int", "category", "bool"]
Severity = Literal["critical", "warning"]
# the drift methods' names come from their one declaration (drift/method_registry.py)
DriftMethodName = Literal[method_names()]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeatureSpec(_Strict):
    """One input column of the model."""

    name: str
    type: FeatureType
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    # New categories are normal in production (a new merchant); they are drift, not bad data.
    allow_new_values: bool = True
    nullable: bool = True
    sensitive: bool = False
    # Identifiers (emails, ids) change every day by nature; comparing their distributions is noise.
    drift: bool = True
    description: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.type in ("float", "int")

    @model_validator(mode="after")
    def _check(self) -> "FeatureSpec":
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if self.values is not None and self.type != "category":
            raise ValueError("'values' is only allowed on category features")
        if (self.min is not None or self.max is not None) and not self.is_numeric:
            raise ValueError("'min'/'max' are only allowed on float/int features")
        return self


class PredictionSpec(_Strict):
    """Where the model's output is. Binary: a score in [0, 1]; multiclass: a class; regression: a value."""

    column: str = "prediction"
    threshold: float = 0.5
    classes: list[str] | None = None
    min: float | None = None
    max: float | None = None


class LabelSpec(_Strict):
    column: str = "label"
    timestamp_column: str = "label_timestamp"
    # How many days after the prediction day labels usually land. Alerts for a day this old (plus a few
    # days of slack) are still live, so a late-label performance drop pages; older days are history.
    lag_days: int = Field(default=1, ge=0, le=365)


class SlaSpec(_Strict):
    latency_p95_ms: float = 500.0
    error_rate: float = 0.05


class ColumnDriftOverride(_Strict):
    method: DriftMethodName | None = None
    threshold: float | None = None


class BaselineSpec(_Strict):
    """Either a pinned window of days or the trailing ``rolling_days`` before the report's day."""

    start: dt.date | None = None
    end: dt.date | None = None
    rolling_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> "BaselineSpec":
        pinned = self.start is not None or self.end is not None
        if pinned and (self.start is None or self.end is None):
            raise ValueError("a pinned baseline needs both 'start' and 'end'")
        if pinned and self.rolling_days is not None:
            raise ValueError("give either 'start'/'end' or 'rolling_days', not both")
        if not pinned and self.rolling_days is None:
            raise ValueError("give 'start'/'end' or 'rolling_days'")
        if pinned and self.start > self.end:  # type: ignore[operator]
            raise ValueError("baseline 'start' is after 'end'")
        return self


class DriftSpec(_Strict):
    baseline: BaselineSpec = BaselineSpec(rolling_days=7)
    drift_share: float = Field(default=0.5, gt=0, le=1)
    columns: dict[str, ColumnDriftOverride] = {}
    # Learn per-column thresholds from reference chunks, so 10M-row days do not flag every column.
    learned_thresholds: bool = False


class RuleSpec(_Strict):
    """A custom Great Expectations expectation declared in YAML."""

    name: str
    expectation: str
    column: str | None = None
    kwargs: dict[str, object] = {}
    severity: Severity = "warning"


class ValidationSpec(_Strict):
    # A drop whose quarantined share exceeds this fails the blocking checks.
    max_quarantine_share: float = Field(default=0.05, ge=0, le=1)
    rules: list[RuleSpec] = []


def check_channel(v: str | None) -> str | None:
    """Channel names (#name) or ids (C0123...); anything else is likely a pasted URL or token."""
    if v is not None and not re.fullmatch(r"#[a-z0-9_\-.]{1,80}|[CGD][A-Z0-9]{6,20}", v):
        raise ValueError(f"channel {v!r} is not a '#channel-name' or a channel id")
    return v


class AlertRoutes(_Strict):
    """A channel per severity for this model (the rules file's ``models.<id>.routes`` wins over it)."""

    info: str | None = None
    warning: str | None = None
    critical: str | None = None

    @field_validator("info", "warning", "critical")
    @classmethod
    def _c(cls, v: str | None) -> str | None:
        return check_channel(v)


class AlertRouting(_Strict):
    slack_channel: str = "#ml-monitoring"
    critical_channel: str | None = None
    routes: AlertRoutes = AlertRoutes()
    # Per-model alert rule overrides, same shape as a rules file's ``models.<id>.rules`` / ``disable``:
    # a team keeps its model's thresholds next to its model, and the shipped rules name no model.
    # Validated (metric, operator, subjects) when the rules load, naming this model and the rule.
    rules: list[dict[str, Any]] = []
    disable: list[str] = []
    # Alerts for partitions older than this many days are recorded, not sent (default: label lag + 3).
    historic_after_days: int | None = Field(default=None, ge=0)


class ModelSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]{1,62}$")
    task: Task
    description: str = ""
    owner: str = ""
    features: list[FeatureSpec]
    prediction: PredictionSpec = PredictionSpec()
    label: LabelSpec = LabelSpec()
    sla: SlaSpec = SlaSpec()
    drift: DriftSpec = DriftSpec()
    validation: ValidationSpec = ValidationSpec()
    alerts: AlertRouting = AlertRouting()

    @model_validator(mode="after")
    def _check(self) -> "ModelSpec":
        names = [f.name for f in self.features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate feature names: {dupes}")
        reserved = {"prediction_id", "model_id", "model_version", "timestamp", "latency_ms", "status"}
        clash = sorted(reserved.intersection(names) | ({self.prediction.column} & set(names)))
        if clash:
            raise ValueError(f"feature names clash with standard columns: {clash}")
        if self.task == "multiclass_classification" and not self.prediction.classes:
            raise ValueError("multiclass models must list prediction.classes")
        unknown = sorted(set(self.drift.columns) - set(names) - {self.prediction.column})
        if unknown:
            raise ValueError(f"drift.columns names unknown columns: {unknown}")
        return self

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> FeatureSpec:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)


class Registry(_Strict):
    models: list[ModelSpec]

    @model_validator(mode="after")
    def _unique(self) -> "Registry":
        if not self.models:
            raise ValueError("the registry declares no models: add at least one entry under 'models'")
        ids = [m.id for m in self.models]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate model ids: {dupes}")
        return self

    @property
    def model_ids(self) -> list[str]:
        return [m.id for m in self.models]

    def model(self, model_id: str) -> ModelSpec:
        for m in self.models:
            if m.id == model_id:
                return m
        raise KeyError(f"model {model_id!r} is not in the registry (known: {self.model_ids})")
