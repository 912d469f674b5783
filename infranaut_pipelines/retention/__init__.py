"""Retention: how long the warehouse and the lake keep what Infranaut writes (docs/deployment.md)."""

from infranaut_pipelines.retention.apply import RetentionSummary, apply_retention
from infranaut_pipelines.retention.policy import RetentionConfigError, RetentionPolicy, load_policy

__all__ = ["RetentionConfigError", "RetentionPolicy", "RetentionSummary", "apply_retention", "load_policy"]
