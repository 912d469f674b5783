"""Validation phase: typed routing of raw batches into valid rows and quarantine, with GX evidence.

Pure library (no Dagster import); the Dagster asset checks are a thin layer over ``validate_batch``.
"""

from infranaut_pipelines.validation.anomaly import anomaly_checks
from infranaut_pipelines.validation.core import validate_batch
from infranaut_pipelines.validation.display import escape_display
from infranaut_pipelines.validation.expectations import build_suite, check_rules
from infranaut_pipelines.validation.labels import validate_labels
from infranaut_pipelines.validation.outcome import CHECKS, CheckOutcome, ValidationOutcome
from infranaut_pipelines.validation.quality import quality_score
from infranaut_pipelines.validation.store import record_validation, trailing_history

__all__ = [
    "CHECKS",
    "CheckOutcome",
    "ValidationOutcome",
    "anomaly_checks",
    "build_suite",
    "check_rules",
    "escape_display",
    "quality_score",
    "record_validation",
    "trailing_history",
    "validate_batch",
    "validate_labels",
]
