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
from infranaut_pipelines.notify.targets import normalize_route
from infranaut_pipelines.registry.segments import SegmentSpec, segment_problems

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
    """One of: a pinned window (``start``/``end``); the model's first ``rolling_days`` days; listed
    ``seasonal_days`` (e.g. last year's season); or ``same_weekday_weeks``: the same weekday of the previous
    N weeks, chosen per report day, so a weekly pattern is compared with itself."""

    start: dt.date | None = None
    end: dt.date | None = None
    rolling_days: int | None = Field(default=None, ge=1)
    seasonal_days: list[dt.date] | None = Field(default=None, min_length=1, max_length=366)
    same_weekday_weeks: int | None = Field(default=None, ge=1, le=52)

    @model_validator(mode="after")
    def _check(self) -> "BaselineSpec":
        pinned = self.start is not None or self.end is not None
        if pinned and (self.start is None or self.end is None):
            raise ValueError("a pinned baseline needs both 'start' and 'end'")
        modes = [name for name, on in (("start/end", pinned), ("rolling_days", self.rolling_days is not None),
                                       ("seasonal_days", self.seasonal_days is not None),
                                       ("same_weekday_weeks", self.same_weekday_weeks is not None)) if on]
        if len(modes) > 1:
            raise ValueError(f"give one baseline kind, not {' and '.join(modes)}")
        if not modes:
            raise ValueError("give 'start'/'end', 'rolling_days', 'seasonal_days' or 'same_weekday_weeks'")
        if pinned and self.start > self.end:  # type: ignore[operator]
            raise ValueError("baseline 'start' is after 'end'")
        if self.seasonal_days is not None and len(set(self.seasonal_days)) != len(self.seasonal_days):
            raise ValueError("'seasonal_days' lists a day twice")
        return self

    @property
    def per_report_day(self) -> bool:
        """True when each report day has its own reference (no shared baseline to build or rebuild)."""
        return self.same_weekday_weeks is not None


class DriftSpec(_Strict):
    baseline: BaselineSpec = BaselineSpec(rolling_days=7)
    drift_share: float = Field(default=0.5, gt=0, le=1)
    columns: dict[str, ColumnDriftOverride] = {}
    # Learn per-column thresholds from reference chunks, so 10M-row days do not flag every column.
    learned_thresholds: bool = False
    # Raise distance thresholds on small days (< 1,000 rows) to what an unchanged day of that size reads
    # (drift/noise_floor.py): a 100-row day no longer trips Wasserstein's fixed 0.1 by chance.
    size_aware_thresholds: bool = False


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
    """Where alerts go, per severity, for this model (the rules file's ``models.<id>.routes`` wins over it):
    one target or a list (Slack channels, ``pagerduty``, ``email[:address]``, ``webhook``: notify.targets)."""

    info: str | list[str] | None = None
    warning: str | list[str] | None = None
    critical: str | list[str] | None = None

    @field_validator("info", "warning", "critical")
    @classmethod
    def _c(cls, v: str | list[str] | None) -> str | None:
        return normalize_route(v)


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


SourceFormat = Literal["infranaut", "sagemaker_capture", "kserve", "inference_table"]
_PREFIX_RE = re.compile(r"^[A-Za-z0-9!_.*'()\-]+(/[A-Za-z0-9!_.*'()\-]+)*$")


def _check_prefix(v: str, what: str) -> str:
    """A key prefix inside the landing store: relative, no '.'/'..' segments, not our own contract's folders."""
    v = v.strip("/")
    if "://" in v:
        raise ValueError(f"{what} {v!r} is a URL: give the key prefix inside the landing bucket (INFRANAUT_LANDING_URL)")
    if v and (not _PREFIX_RE.fullmatch(v) or any(p in (".", "..") for p in v.split("/"))):
        raise ValueError(f"{what} {v!r} must be a relative key prefix (letters, digits, !_.*'()- and '/')")
    if v.split("/")[0] in ("inferences", "labels"):
        raise ValueError(f"{what} {v!r} is inside the landing contract's own 'inferences/' or 'labels/' folders")
    return v


class GroundTruthSource(_Strict):
    """Where SageMaker ground-truth records land: ``<prefix>/yyyy/mm/dd/hh/*.jsonl``."""

    format: Literal["sagemaker_ground_truth"] = "sagemaker_ground_truth"
    prefix: str

    @field_validator("prefix")
    @classmethod
    def _p(cls, v: str) -> str:
        v = _check_prefix(v, "ground_truth.prefix")
        if not v:
            raise ValueError("ground_truth.prefix is required (the folder the labelling job writes to)")
        return v


class SourceSpec(_Strict):
    """What the model's serving stack writes and where (see docs/registry.md, "Where the logs come from").

    The default, ``infranaut``, is the landing contract (``inferences/<model>/dt=.../``), so a registry
    without ``source`` behaves as before.
    """

    format: SourceFormat = "infranaut"
    # Key prefix inside the landing store: SageMaker's DestinationS3Uri path, KServe's logger path up to
    # the component (``<prefix>/<namespace>/<inference service>/<component>``), or an inference-table export.
    prefix: str = ""
    endpoint: str | None = None  # sagemaker_capture: the endpoint name (a path segment)
    variant: str | None = None  # sagemaker_capture: the production variant (a path segment)
    ground_truth: GroundTruthSource | None = None
    # kserve: how long a request waits for its response (and the reverse) before it is quarantined.
    grace_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)

    @field_validator("prefix")
    @classmethod
    def _p(cls, v: str) -> str:
        return _check_prefix(v, "prefix")

    @field_validator("endpoint", "variant")
    @classmethod
    def _segment(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9\-]{0,62}", v):
            raise ValueError(f"{v!r} is not a SageMaker endpoint/variant name (letters, digits, '-', up to 63)")
        return v

    @model_validator(mode="after")
    def _check(self) -> "SourceSpec":
        sm = self.format == "sagemaker_capture"
        if sm and (self.endpoint is None or self.variant is None):
            raise ValueError("format 'sagemaker_capture' needs 'endpoint' and 'variant' (the capture path's folders)")
        if not sm and (self.endpoint is not None or self.variant is not None):
            raise ValueError(f"'endpoint'/'variant' only apply to format 'sagemaker_capture', not {self.format!r}")
        if self.ground_truth is not None and not sm:
            raise ValueError("'ground_truth' only applies to format 'sagemaker_capture'")
        if self.format == "infranaut" and self.prefix:
            raise ValueError("format 'infranaut' lands under inferences/<model>/dt=.../: it takes no 'prefix'")
        if self.format in ("kserve", "inference_table") and not self.prefix:
            raise ValueError(f"format {self.format!r} needs 'prefix' (where its objects land)")
        return self

    @property
    def capture_prefix(self) -> str:
        """The folder holding this model's records, up to (not including) the date folders, with a trailing '/'."""
        parts = [self.prefix] if self.prefix else []
        if self.format == "sagemaker_capture":
            parts += [self.endpoint or "", self.variant or ""]
        return "/".join(parts) + "/" if parts else ""


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
    segments: list[SegmentSpec] = Field(default=[], max_length=10)
    source: SourceSpec = SourceSpec()

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
        problems = segment_problems(self.segments, {f.name: f.is_numeric for f in self.features})
        if problems:
            raise ValueError("; ".join(problems))
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
        _check_source_overlap(self.models)
        return self

    @property
    def model_ids(self) -> list[str]:
        return [m.id for m in self.models]

    def model(self, model_id: str) -> ModelSpec:
        for m in self.models:
            if m.id == model_id:
                return m
        raise KeyError(f"model {model_id!r} is not in the registry (known: {self.model_ids})")


def _check_source_overlap(models: list[ModelSpec]) -> None:
    """Two models reading the same folder (or one inside the other) would each ingest the other's records."""
    places: list[tuple[str, str]] = []
    for m in models:
        if m.source.format != "infranaut":
            places.append((m.source.capture_prefix, m.id))
        if m.source.ground_truth is not None:
            places.append((m.source.ground_truth.prefix + "/", m.id))
    for i, (a, ma) in enumerate(places):
        for b, mb in places[i + 1:]:
            if a.startswith(b) or b.startswith(a):
                raise ValueError(f"models {ma!r} and {mb!r} read overlapping landing folders ({a!r}, {b!r})")
