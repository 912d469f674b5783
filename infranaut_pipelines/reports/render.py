"""HTML/JSON/CSV renderings of a DriftResult. Reports contain only the result and the context the
caller passes in; nothing is read from the environment, so no secret can leak into them."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

import jinja2

from infranaut_pipelines.drift.result import DriftResult, json_safe
from infranaut_pipelines.reports.charts import column_chart

_ENV = jinja2.Environment(
    loader=jinja2.FunctionLoader(lambda name: resources.files(__package__).joinpath("templates", name).read_text()),
    autoescape=True,
    undefined=jinja2.ChainableUndefined,  # optional sections may be absent
)


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return "" if x is None else str(x)


_ENV.filters["fmt"] = _fmt


def template(name: str) -> jinja2.Template:
    """A template of this package, autoescaped (every value from data is shown as text)."""
    return _ENV.get_template(name)


def render_html(result: DriftResult, title: str, context: dict | None = None) -> str:
    charts = {c.name: column_chart(c.stats, c.name) for c in result.columns if c.error is None}
    return _ENV.get_template("drift_report.html.j2").render(
        title=title, context=json_safe(context or {}), r=result, d=result.to_dict(), charts=charts)


def render_json(result: DriftResult, context: dict | None = None) -> str:
    return json.dumps({"context": json_safe(context or {}), "result": result.to_dict()}, indent=2, allow_nan=False,
                      default=str)


def render_csv(result: DriftResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["column", "kind", "role", "method", "score", "threshold", "drifted", "error", "status"])
    for c in result.columns:
        w.writerow([c.name, c.kind, c.role, c.method or "", _fmt(json_safe(c.score)), _fmt(c.threshold),
                    str(c.drifted).lower(), c.error or "", c.status])
    return buf.getvalue()
