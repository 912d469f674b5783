"""Render a DriftResult as HTML (self-contained, inline SVG), JSON or CSV. Pure; no Dagster."""

from __future__ import annotations

from infranaut_pipelines.reports.render import render_csv, render_html, render_json

__all__ = ["render_csv", "render_html", "render_json"]
