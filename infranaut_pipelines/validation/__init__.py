"""Validation phase: typed routing of raw batches into valid rows and quarantine, with GX evidence.

Pure library (no Dagster import); the Dagster asset checks are a thin layer over ``validate_batch``.
"""

from infranaut_pipelines.validation.core import validate_batch
from infranaut_pipelines.validation.display import escape_display
from infranaut_pipelines.validation.expectations import build_suite, check_rules
from infranaut_pipelines.validation.outcome import CHECKS, CheckOutcome, ValidationOutcome
from infranaut_pipelines.validation.quality import quality_score

__all__ = [
    "CHECKS",
    "CheckOutcome",
    "ValidationOutcome",
    "build_suite",
    "check_rules",
    "escape_display",
    "quality_score",
    "validate_batch",
]
