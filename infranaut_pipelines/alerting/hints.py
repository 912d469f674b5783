"""Root-cause hints: which drifted features matter most, and what a pattern usually means.

Ranking is drift score x feature importance (from the baseline), because a strong drift on a feature the
model ignores is less urgent than a moderate one on its top feature. The texts live in remediation.yaml so
teams can adapt them without touching code; the patterns (when a hint applies) are here.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from infranaut_pipelines.alerting.evaluate import Finding
from infranaut_pipelines.alerting.signals import Signals

Pattern = Literal[
    "new_categories", "many_features_drifting", "seasonal_feature", "single_feature",
    "prediction_drift_without_feature_drift", "performance_without_drift", "data_quality", "latency",
    "error_rate", "stale", "segment_concentrated",
]


class Hint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pattern: Pattern
    title: str
    text: str
    min_share: float = 0.4
    min_count: int = 3
    features: list[str] = []


class KnowledgeBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    hints: list[Hint]


@dataclass(frozen=True)
class RankedFeature:
    name: str
    score: float
    importance: float | None
    rank: float


@dataclass(frozen=True)
class RootCause:
    features: list[RankedFeature]
    hints: list[tuple[str, str]]


def load_knowledge_base(path: str | Path | None = None) -> KnowledgeBase:
    p = Path(path) if path else Path(str(resources.files("infranaut_pipelines") / "config" / "remediation.yaml"))
    try:
        return KnowledgeBase.model_validate(yaml.safe_load(p.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{p}: invalid remediation knowledge base: {exc}") from None


@lru_cache(maxsize=1)
def default_knowledge_base() -> KnowledgeBase:
    return load_knowledge_base()


def drifted(signals: Signals) -> list[str]:
    over = {f for f, s in signals.feature_drift.items() if s is not None and s >= 1.0}
    return sorted(over | set(signals.drifted_features))


def rank_features(signals: Signals) -> list[RankedFeature]:
    imp = signals.feature_importance
    out = []
    for f in drifted(signals):
        score = float(signals.feature_drift.get(f) or 1.0)
        importance = imp.get(f) if imp else None
        # Without any importance data every feature weighs the same; a feature absent from a known
        # importance map is one the model does not use.
        weight = 1.0 if not imp else float(importance or 0.0)
        out.append(RankedFeature(f, score, importance, score * weight))
    return sorted(out, key=lambda r: (-r.rank, -r.score, r.name))


def _applies(h: Hint, s: Signals, findings: Sequence[Finding], names: list[str], seasonal_hit: bool) -> bool:
    metrics = {f.metric for f in findings}
    n = len(names)
    if h.pattern == "new_categories":
        return any(v for v in s.new_categories.values())
    if h.pattern == "many_features_drifting":
        total = len(s.feature_drift) or n
        share = s.dataset_drift_share if s.dataset_drift_share is not None else (n / total if total else 0.0)
        return n >= h.min_count and share >= h.min_share
    if h.pattern == "seasonal_feature":
        return n == 1 and any(fnmatch.fnmatchcase(names[0], p) for p in h.features)
    if h.pattern == "single_feature":
        return n == 1 and not seasonal_hit
    if h.pattern == "prediction_drift_without_feature_drift":
        return bool(s.prediction_drifted) and n == 0
    if h.pattern == "performance_without_drift":
        return bool(metrics & {"performance_drop", "estimated_performance_drop"}) and n == 0
    if h.pattern == "data_quality":
        return bool(metrics & {"quality_score", "failed_check", "failed_checks_count"})
    if h.pattern == "latency":
        return "latency_p95_ms" in metrics
    if h.pattern == "error_rate":
        return "error_rate" in metrics
    if h.pattern == "stale":
        return "hours_since_last_drop" in metrics
    if h.pattern == "segment_concentrated":
        return bool(s.segment_feature_drift)
    return False


def segment_carriers(s: Signals, limit: int = 5) -> str:
    """"country=DE (amount, basket_size); plan=pro (amount)": which segments carry the drift, most features first."""
    per: dict[str, list[str]] = {}
    for subject in sorted(s.segment_feature_drift or {}):
        segment, feature = subject.rsplit("/", 1)
        per.setdefault(segment, []).append(feature)
    ranked = sorted(per.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    return "; ".join(f"{seg} ({', '.join(feats)})" for seg, feats in ranked)


def root_causes(signals: Signals | None, findings: Sequence[Finding], kb: KnowledgeBase | None = None) -> RootCause:
    kb = kb or default_knowledge_base()
    if signals is None:  # e.g. a freshness sensor: only the findings are known
        signals = Signals(model_id=findings[0].model_id if findings else "", partition_date="1970-01-01",
                          now=dt.datetime.now(dt.timezone.utc))
    names = drifted(signals)
    seasonal_hit = any(_applies(h, signals, findings, names, False) for h in kb.hints if h.pattern == "seasonal_feature")
    hints = [(h.title, h.text + (f" Segments: {segment_carriers(signals)}." if h.pattern == "segment_concentrated"
                                 else "")) for h in kb.hints if _applies(h, signals, findings, names, seasonal_hit)]
    return RootCause(rank_features(signals), hints)
