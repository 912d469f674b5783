"""Alert rules from YAML: defaults, per-model overrides, routing, escalation and maintenance windows.

Parsed with pydantic (``extra="forbid"``) at definitions load, so a typo in a metric name, an operator or a
model id fails the code location with a message naming the file, the rule and the model, instead of a rule
that silently never fires.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from infranaut_pipelines.notify.targets import Target, normalize_route, split_route
from infranaut_pipelines.registry.schema import AlertRoutes, AlertRouting, ModelSpec, Registry

RULES_ENV_VAR = "INFRANAUT_ALERT_RULES"

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
Operator = Literal[">", ">=", "<", "<=", "==", "!="]

# metric -> (what it measures, per-subject?) ; per-subject metrics yield one finding per feature/check.
METRICS: dict[str, tuple[str, bool]] = {
    "dataset_drift_share": ("share of drifted features (0-1)", False),
    "dataset_drift": ("dataset drift flag (1 = drifted)", False),
    "feature_drift": ("normalised per-feature drift score (>= 1 means over its threshold)", True),
    "prediction_drift_score": ("prediction drift score", False),
    "prediction_drifted": ("prediction drift flag (1 = drifted)", False),
    "quality_score": ("data quality score (0-1)", False),
    "failed_check": ("a failed data check (1 per check)", True),
    "failed_checks_count": ("number of failed data checks", False),
    "latency_p95_ms": ("p95 serving latency in ms", False),
    "error_rate": ("serving error rate (0-1)", False),
    "performance_drop": ("relative drop of the labelled metric vs its baseline", False),
    "estimated_performance_drop": ("relative drop of the label-free estimate vs its baseline", False),
    "performance_below_band": ("1 when the labelled metric is outside its reference band (mean +/- 3 sd of chunks)", False),
    "estimated_performance_below_band": ("1 when the label-free estimate is below its reference band", False),
    "multivariate_drift": ("1 when the PCA reconstruction error is outside its reference band", False),
    "hours_since_last_drop": ("hours since the last prediction drop arrived", False),
    "run_failed": ("1 when a run of the model's pipeline failed (subject: job and day); cleared by that job's next "
                   "successful run for the day", True),
    # Segments (registry `segments`); subjects are "column=value/feature" and "column=value".
    "segment_feature_drift": ("normalised drift score of a feature within one segment (>= 1: over its threshold)",
                              True),
    "segment_performance_drop": ("relative drop of the labelled metric within one segment vs that segment's "
                                 "baseline", True),
}
SLA_METRICS = {"latency_p95_ms", "error_rate"}
# Flags whose finding shows the measured value against the band it left, not the flag itself.
BAND_METRICS = {"performance_below_band", "estimated_performance_below_band", "multivariate_drift"}
FRESHNESS_METRICS = {"hours_since_last_drop"}
RUN_METRICS = {"run_failed"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,80}$")
    metric: str
    operator: Operator
    # A number, or "sla" for latency/error rate: the model's own SLA limit from the registry.
    threshold: float | Literal["sla"]
    severity: Severity = "warning"
    # Explicit route (one target or a list: '#channel', pagerduty, email[:address], webhook); otherwise the
    # model's route for the severity, then the file's, then the registry's Slack channels.
    route: str | list[str] | None = None
    # Glob patterns on the subject (feature or check name) of per-subject metrics.
    subjects: list[str] | None = None
    # For failed_check: only checks with these severities (e.g. ["ERROR"]); case-insensitive.
    check_severities: list[str] | None = None
    description: str = ""
    enabled: bool = True

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"unknown metric {v!r} (known: {sorted(METRICS)})")
        return v

    @field_validator("route")
    @classmethod
    def _route(cls, v: str | list[str] | None) -> str | None:
        return normalize_route(v)

    @model_validator(mode="after")
    def _check(self) -> "Rule":
        if self.threshold == "sla" and self.metric not in SLA_METRICS:
            raise ValueError(f"threshold 'sla' is only allowed for {sorted(SLA_METRICS)}")
        per_subject = METRICS[self.metric][1]
        if self.subjects is not None and not per_subject:
            raise ValueError("'subjects' only applies to per-subject metrics "
                             f"({', '.join(m for m, (_, per) in METRICS.items() if per)})")
        if self.check_severities is not None and self.metric != "failed_check":
            raise ValueError("'check_severities' only applies to metric 'failed_check'")
        return self

    @property
    def is_freshness(self) -> bool:
        return self.metric in FRESHNESS_METRICS


# One shape for a route per severity, in the rules file (top level and per model) and in the registry.
Routes = AlertRoutes


@dataclass(frozen=True)
class RouteUse:
    """Where a route was written, so a channel without its settings can be named precisely."""

    source: str  # file
    model: str  # model id, or "*" for the file's defaults
    where: str  # e.g. "routes.critical" or "rule 'amount_drift' route"
    route: str  # canonical route string


class Escalation(_Strict):
    # Seen in this many evaluations (distinct partitions, the one that fired included) and still open
    # -> one level up, one message. At least 2: escalating on the first sighting would just be a severity.
    after_evaluations: int = Field(default=3, ge=2)


class MaintenanceWindow(_Strict):
    model: str  # a model id or "*"
    start: dt.datetime
    end: dt.datetime
    rule: str | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _check(self) -> "MaintenanceWindow":
        if _utc(self.start) >= _utc(self.end):
            raise ValueError("maintenance window 'start' must be before 'end'")
        return self

    def covers(self, model_id: str, rule: str, at: dt.datetime) -> bool:
        if self.model not in ("*", model_id) or (self.rule is not None and self.rule != rule):
            return False
        return _utc(self.start) <= _utc(at) < _utc(self.end)


def _utc(t: dt.datetime) -> dt.datetime:
    """Naive datetimes are taken as UTC (what the YAML examples and the warehouse use)."""
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class RuleSet:
    source: str
    defaults: tuple[Rule, ...]
    per_model: dict[str, tuple[Rule, ...]]
    routes: dict[str, Routes]
    routing: dict[str, AlertRouting]
    escalation: Escalation
    escalation_per_model: dict[str, Escalation]
    maintenance_windows: tuple[MaintenanceWindow, ...] = ()
    fallback_routing: AlertRouting = field(default_factory=AlertRouting)
    route_uses: tuple[RouteUse, ...] = ()

    def rules_for(self, model_id: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.per_model.get(model_id, self.defaults) if r.enabled)

    def rule(self, model_id: str, name: str) -> Rule | None:
        return next((r for r in self.per_model.get(model_id, self.defaults) if r.name == name), None)

    def escalate_after(self, model_id: str) -> int:
        return self.escalation_per_model.get(model_id, self.escalation).after_evaluations

    def channel(self, model_id: str, severity: str, rule: Rule | None = None) -> str:
        if rule is not None and rule.route:
            return rule.route
        routes = self.routes.get(model_id)
        if routes is not None and getattr(routes, severity):
            return getattr(routes, severity)
        routing = self.routing.get(model_id, self.fallback_routing)
        if severity == "critical" and routing.critical_channel:
            return routing.critical_channel
        return routing.slack_channel


class _ModelSection(_Strict):
    rules: list[dict[str, Any]] = []
    disable: list[str] = []
    routes: Routes = Routes()
    escalation: Escalation | None = None


class _File(_Strict):
    defaults: list[dict[str, Any]] = []
    routes: Routes = Routes()  # every model's route per severity, unless the model says otherwise
    models: dict[str, _ModelSection] = {}
    escalation: Escalation = Escalation()
    maintenance_windows: list[MaintenanceWindow] = []


def default_rules_path() -> Path:
    return Path(str(resources.files("infranaut_pipelines") / "config" / "alert_rules.yaml"))


def rules_path() -> Path:
    from infranaut_pipelines.settings import current

    override = current().alert_rules_file
    return Path(override) if override else default_rules_path()


def _fmt(exc: ValidationError) -> str:
    return "; ".join(
        (f"field {'.'.join(str(p) for p in e['loc'])!r}: " if e["loc"] else "") + e["msg"] for e in exc.errors()
    )


def _rule(raw: Any, source: str, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: {where}: each rule must be a mapping, got {raw!r}")
    name = raw.get("name", "<unnamed>")
    try:
        return Rule.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(f"{source}: {where}, rule {name!r}: {_fmt(exc)}") from None


def parse_rules(text: str, registry: Registry, source: str = "<string>", registry_source: str = "registry") -> RuleSet:
    """Defaults, then the rules file's ``models.<id>`` overrides, then the registry's ``alerts.rules``.

    The shipped file names no model; per-model thresholds live with the model (registry) or in the team's
    own rules file. Every error names the file, the model and the rule.
    """
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: expected a mapping with 'defaults' and 'models'")
    models_raw = raw.get("models") or {}
    if not isinstance(models_raw, dict):
        raise ValueError(f"{source}: 'models' must be a mapping of model id -> overrides")
    # Validate rules one by one first so the error names the rule and the model.
    defaults = [_rule(r, source, "defaults") for r in raw.get("defaults") or []]
    known = set(registry.model_ids)
    for model_id in models_raw:
        if model_id not in known:
            raise ValueError(f"{source}: model {model_id!r} is not in the registry (known: {sorted(known)})")
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(f"{source}: invalid alert rules: {_fmt(exc)}") from None
    _unique([r.name for r in defaults], source, "defaults")
    by_name = {r.name: r for r in defaults}
    per_model: dict[str, tuple[Rule, ...]] = {}
    routes: dict[str, Routes] = {}
    uses: list[RouteUse] = _route_uses(source, "*", "routes", parsed.routes)
    uses += [RouteUse(source, "*", f"rule {r.name!r} route", r.route) for r in defaults if r.route]
    for spec in registry.models:
        merged = dict(by_name)
        section = parsed.models.get(spec.id)
        if section is not None:
            merged = _merge(merged, section.rules, section.disable, source, f"model {spec.id!r}")
        if spec.alerts.rules or spec.alerts.disable:
            merged = _merge(merged, spec.alerts.rules, spec.alerts.disable, registry_source,
                            f"model {spec.id!r}, field 'alerts.rules'")
        if section is not None or spec.alerts.rules or spec.alerts.disable:
            per_model[spec.id] = tuple(merged.values())
            _check_subjects(spec, merged.values(), source if section is not None else registry_source)
        file_routes = section.routes if section is not None else Routes()
        reg_routes = spec.alerts.routes
        top = parsed.routes
        routes[spec.id] = Routes(
            info=file_routes.info or reg_routes.info or top.info,
            warning=file_routes.warning or reg_routes.warning or top.warning,
            critical=file_routes.critical or reg_routes.critical or top.critical,
        )
        uses += _route_uses(source, spec.id, "models.routes", file_routes)
        uses += _route_uses(registry_source, spec.id, "alerts.routes", reg_routes)
        default_routes = {r.name: r.route for r in defaults}
        rule_source = source if section is not None else registry_source
        uses += [RouteUse(rule_source, spec.id, f"rule {r.name!r} route", r.route)
                 for r in per_model.get(spec.id, ()) if r.route and r.route != default_routes.get(r.name)]
    for i, w in enumerate(parsed.maintenance_windows):
        if w.model != "*" and w.model not in known:
            raise ValueError(f"{source}: maintenance window #{i}: model {w.model!r} is not in the registry")
        rules = per_model.get(w.model, tuple(defaults)) if w.model != "*" else tuple(defaults)
        if w.rule is not None and w.model != "*" and w.rule not in {r.name for r in rules}:
            raise ValueError(f"{source}: maintenance window #{i}, model {w.model!r}: unknown rule {w.rule!r}")
    return RuleSet(
        source=source,
        defaults=tuple(defaults),
        per_model=per_model,
        routes=routes,
        routing={m.id: m.alerts for m in registry.models},
        escalation=parsed.escalation,
        escalation_per_model={m: s.escalation for m, s in parsed.models.items() if s.escalation},
        maintenance_windows=tuple(parsed.maintenance_windows),
        route_uses=tuple(uses),
    )


def _route_uses(source: str, model: str, where: str, routes: Routes) -> list[RouteUse]:
    return [RouteUse(source, model, f"{where}.{sev}", getattr(routes, sev))
            for sev in SEVERITIES if getattr(routes, sev)]


def route_problems(rules: RuleSet, missing: Callable[[Target], str | None]) -> list[str]:
    """One message per route naming a channel that cannot be delivered with the settings in effect.

    ``missing(target)`` says what is not set for that target (None = ready). Slack is not checked here:
    with Slack unset, its messages wait in the outbox (the embedded default works without Slack)."""
    out: list[str] = []
    for use in rules.route_uses:
        for target in split_route(use.route):
            why = missing(target)
            if why:
                model = "every model" if use.model == "*" else f"model {use.model!r}"
                out.append(f"{use.source}: {model}, {use.where}: channel {target.raw!r} cannot be delivered: {why}")
    return sorted(set(out))


def _merge(base: dict[str, Rule], overrides: list[dict[str, Any]], disable: list[str], source: str,
           where: str) -> dict[str, Rule]:
    merged = dict(base)
    _unique([str(r.get("name")) if isinstance(r, dict) else "?" for r in overrides], source, where)
    for override in overrides:
        if not isinstance(override, dict):
            raise ValueError(f"{source}: {where}: each rule must be a mapping, got {override!r}")
        prior = merged.get(override.get("name"))  # type: ignore[arg-type]
        if prior is None and "metric" not in override:
            raise ValueError(
                f"{source}: {where}, rule {override.get('name')!r}: overrides a rule the rules file does not "
                f"define (rules: {sorted(merged)}); give metric, operator and threshold to make it a new rule"
            )
        # A same-named entry overrides only the fields it gives; a new name must be a complete rule.
        data = {**prior.model_dump(exclude_defaults=True), **override} if prior else override
        merged[str(override.get("name"))] = _rule(data, source, where)
    for name in disable:
        if name not in merged:
            raise ValueError(f"{source}: {where}: 'disable' names unknown rule {name!r}")
        merged[name] = merged[name].model_copy(update={"enabled": False})
    return merged


def _check_subjects(spec: ModelSpec, rules: Iterable[Rule], source: str) -> None:
    """A per-model feature rule whose subject pattern matches no column of the model would never fire."""
    columns = [f.name for f in spec.features if f.drift]
    for r in rules:
        if r.metric != "feature_drift" or not r.subjects:
            continue
        for pattern in r.subjects:
            if not any(fnmatch.fnmatchcase(c, pattern) for c in columns):
                raise ValueError(
                    f"{source}: model {spec.id!r}, rule {r.name!r}: subject {pattern!r} matches no drift-monitored "
                    f"feature (features: {columns})"
                )


def _unique(names: list[str], source: str, where: str) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{source}: {where}: duplicate rule names {dupes}")


def load_rules(path: str | Path | None, registry: Registry, registry_source: str = "registry") -> RuleSet:
    """Load and validate the rules file (``$INFRANAUT_ALERT_RULES`` or the shipped defaults if ``path`` is None)."""
    p = Path(str(path)) if path else rules_path()
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read alert rules {p} (set {RULES_ENV_VAR} to a readable file): {exc}") from None
    return parse_rules(text, registry, str(p), registry_source)
