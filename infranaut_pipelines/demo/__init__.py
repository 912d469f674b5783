"""Demo data: a reproducible landing zone with realistic inferences, late labels, bad rows and a known drift."""

from infranaut_pipelines.demo.corrupt import BAD_KINDS
from infranaut_pipelines.demo.generate import (
    DEFAULT_DEMO_DAYS,
    DEFAULT_DEMO_START,
    BadRowRecord,
    DemoManifest,
    write_demo_drops,
)
from infranaut_pipelines.demo.models import DRIFT_EPISODES, LATENCY_BREACH_DAYS, MODEL_VERSIONS, DriftEpisode

__all__ = [
    "BAD_KINDS",
    "DEFAULT_DEMO_DAYS",
    "DEFAULT_DEMO_START",
    "DRIFT_EPISODES",
    "LATENCY_BREACH_DAYS",
    "MODEL_VERSIONS",
    "BadRowRecord",
    "DemoManifest",
    "DriftEpisode",
    "write_demo_drops",
]
