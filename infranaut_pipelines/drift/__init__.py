"""Drift engine: summarise a reference once into a ``BaselineSketch``, then ``compare`` each
batch of current data against it. Pure (polars, numpy, scipy); no Dagster here."""

from __future__ import annotations

from infranaut_pipelines.drift.compare import compare
from infranaut_pipelines.drift.result import ColumnDrift, DriftResult
from infranaut_pipelines.drift.sketch import BaselineSketch, build_sketch
from infranaut_pipelines.drift.spec import ColumnSpec, DriftSettings

__all__ = ["BaselineSketch", "ColumnDrift", "ColumnSpec", "DriftResult", "DriftSettings", "build_sketch", "compare"]
