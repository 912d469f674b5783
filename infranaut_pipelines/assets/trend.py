"""A model's trend over the last N days (``INFRANAUT_TREND_DAYS``), as of each (date, model) partition.

Downstream of ``drift_report`` and ``alerts``, so the nightly job (and every pipeline run) refreshes it
after the day's report and alerts. The page is written beside that day's report; its key numbers are
numeric metadata, so Dagster's own plots show them over partitions.
"""


import datetime as dt

import dagster as dg

from infranaut_pipelines.monitoring.layout import report_html_key, report_prefix
from infranaut_pipelines.partitions import RANGE_BACKFILL_POLICY, date_model_partitions, each_partition, range_result
from infranaut_pipelines.reports.links import LinkSettings, page_href, report_link
from infranaut_pipelines.reports.pdf import trend_pdf
from infranaut_pipelines.reports.trend import (
    TrendContext,
    render_trend_csv,
    render_trend_html,
    render_trend_json,
    summary,
)
from infranaut_pipelines.reports.trend_data import load_trend
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.settings import current as current_settings


@dg.asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    partitions_def=date_model_partitions,
    group_name="monitoring",
    kinds={"html", "json", "pdf"},
    deps=[dg.AssetKey("drift_report"), dg.AssetKey("alerts")],
    backfill_policy=RANGE_BACKFILL_POLICY,
    description="The model's last N days (INFRANAUT_TREND_DAYS, default 30) on one page: drift share, each "
    "feature's score against its threshold, prediction and multivariate drift, estimated and realised "
    "performance, SLA, quality, alert days; links to each daily report. HTML/JSON/CSV/PDF under `reports/`.",
)
def model_trend(
    context: dg.AssetExecutionContext,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dg.MaterializeResult:
    return range_result(each_partition(
        context, lambda day, model_id: _trend_of_day(context, day, model_id, lake, warehouse, settings)))


def _trend_of_day(
    context: dg.AssetExecutionContext,
    day: dt.date,
    model_id: str,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
) -> dict:
    spec = settings.registry().model(model_id)
    env = current_settings()
    links = LinkSettings.from_settings(env)
    store = lake.get_store()
    days = load_trend(warehouse.get_warehouse(), model_id, spec.task, day, env.trend_days)
    key = report_prefix(model_id, day) + "trend.html"
    hrefs = {d.day.isoformat(): page_href(store, key, report_html_key(model_id, d.day), links)
             for d in days if d.reported}
    ctx = TrendContext(
        model_id=model_id, task=spec.task, drift_share_threshold=spec.drift.drift_share,
        sla_latency_p95_ms=spec.sla.latency_p95_ms, sla_error_rate=spec.sla.error_rate,
        extra={"window": f"{days[0].day} .. {days[-1].day} ({len(days)} days)", "run": settings.run_url(context.run.run_id)},
    )
    store.write_bytes(key, render_trend_html(days, ctx, hrefs).encode("utf-8"))
    store.write_bytes(key.replace(".html", ".json"), render_trend_json(days, ctx, hrefs).encode("utf-8"))
    store.write_bytes(key.replace(".html", ".csv"), render_trend_csv(days).encode("utf-8"))
    store.write_bytes(key.replace(".html", ".pdf"), trend_pdf(days, ctx))
    numbers = summary(days)
    metadata: dict[str, dg.RawMetadataValue] = {
        "trend_html": dg.MetadataValue.url(report_link(store, key, links)),
        "trend_pdf": dg.MetadataValue.url(report_link(store, key.replace(".html", ".pdf"), links)),
    }
    for name, value in numbers.items():
        if value is None:
            continue  # no data in the window: leave the point out of Dagster's plot rather than plot a zero
        metadata[name] = dg.MetadataValue.int(value) if isinstance(value, int) else dg.MetadataValue.float(
            round(float(value), 6))
    return metadata
