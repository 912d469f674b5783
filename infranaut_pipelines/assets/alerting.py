"""Alerting phase: evaluate the rules for one (date, model), record alert state, deliver to Slack.

State and the outbox live in the warehouse, so a re-run of the same partition finds the same
fingerprints (no second alert), and a message Slack did not accept waits for the next run.
"""


import datetime as dt
import json

import dagster as dg

from infranaut_pipelines.alerting import AlertStore, is_historic, load_rules
from infranaut_pipelines.escaping import markdown as escape_md
from infranaut_pipelines.monitoring.layout import baseline_pointer_key, report_html_key
from infranaut_pipelines.partitions import RANGE_BACKFILL_POLICY, date_model_partitions, each_partition, range_result
from infranaut_pipelines.registry import Registry
from infranaut_pipelines.registry.loader import registry_path
from infranaut_pipelines.reports.links import LinkSettings, report_link
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
from infranaut_pipelines.settings import current as current_settings

# Dagster tags every run of a backfill with this; a backfill's findings are history, never pages.
BACKFILL_TAG = "dagster/backfill"


def validate_alert_config(registry: Registry) -> None:
    """Called at definitions load: bad rules or Slack settings fail the deploy with a clear message."""
    load_rules(None, registry, registry_source=str(registry_path()))  # $INFRANAUT_ALERT_RULES, as at run time
    NotifierResource.validate_env()


@dg.asset(
    pool="warehouse",  # opens the warehouse: on DuckDB (one writer process) such steps take turns
    partitions_def=date_model_partitions,
    group_name="alerting",
    kinds={"slack"},
    deps=[dg.AssetKey("drift_report"), dg.AssetKey("daily_model_metrics"), dg.AssetKey("validated_inferences")],
    backfill_policy=RANGE_BACKFILL_POLICY,
    description="Alert rules over drift, data checks, SLA and performance for one (date, model); deduplicated "
    "by fingerprint, escalated when they persist, resolved when they clear, delivered to Slack via an outbox.",
)
def alerts(
    context: dg.AssetExecutionContext,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
    notifier: NotifierResource,
) -> dg.MaterializeResult:
    return range_result(each_partition(
        context, lambda day, model_id: _alerts_of_day(context, day, model_id, lake, warehouse, settings, notifier)))


def _alerts_of_day(
    context: dg.AssetExecutionContext,
    day: dt.date,
    model_id: str,
    lake: ObjectStoreResource,
    warehouse: WarehouseResource,
    settings: InfranautSettings,
    notifier: NotifierResource,
) -> dict:
    # Imported here: signals read the drift engine, which loads scipy (seconds) for every code-location load.
    from infranaut_pipelines.monitoring.signals import build_signals

    registry = settings.registry()
    spec = registry.model(model_id)
    store = lake.get_store()
    importance: dict[str, float] = {}
    if store.head(baseline_pointer_key(model_id)) is not None:
        importance = json.loads(store.read_bytes(baseline_pointer_key(model_id))).get("importance", {})
    # Only a report that exists gets a link; it opens in every deployment (see reports/links.py).
    report_key = report_html_key(model_id, day)
    report_url = (report_link(store, report_key, LinkSettings.from_settings(current_settings()))
                  if store.head(report_key) is not None else None)
    now = dt.datetime.now(dt.timezone.utc)
    historic = is_historic(
        day, now.date(), in_backfill=BACKFILL_TAG in context.run.tags, label_lag_days=spec.label.lag_days,
        historic_after_days=spec.alerts.historic_after_days,
    )
    signals = build_signals(
        warehouse.get_warehouse(),
        spec,
        day,
        now,
        importance=importance,
        report_url=report_url,
        run_url=settings.run_url(context.run.run_id),
    )
    summary, delivery = notifier.record_and_deliver(
        warehouse.get_warehouse(), registry, signals, context.log, historic=historic
    )
    states = {s["fingerprint"]: s for s in AlertStore(warehouse.get_warehouse()).states(model_id)}
    if historic:
        context.log.info(f"{model_id} {day}: historic evaluation (backfill or older than the label lag): "
                         f"{summary.findings} finding(s) recorded, nothing sent")

    def names(fingerprints: list[str]) -> str:
        return ", ".join(_label(states[f]) if f in states else f[:12] for f in fingerprints) or "none"

    metadata: dict[str, dg.RawMetadataValue] = {
        "findings": dg.MetadataValue.int(summary.findings),
        "fired": dg.MetadataValue.text(names(summary.fired)),
        # A historic partition shows what it found, not today's open alerts of the model.
        "open_alerts": dg.MetadataValue.md(
            "historic partition: findings recorded in alert_events, nothing sent" if historic
            else _open_table([s for s in states.values() if s["status"] == "open"])
        ),
        "escalated": dg.MetadataValue.int(len(summary.escalated)),
        "resolved": dg.MetadataValue.int(len(summary.resolved)),
        "suppressed": dg.MetadataValue.int(len(summary.suppressed)),
        "still_open": dg.MetadataValue.int(len(summary.still_open)),
        "historic_partition": dg.MetadataValue.bool(summary.historic),
        "slack": dg.MetadataValue.text("not configured" if delivery is None else json.dumps(delivery.as_metadata())),
    }
    return metadata


def _label(state: dict) -> str:
    return f"{state['rule']}({state['subject']})" if state["subject"] else str(state["rule"])


def _open_table(open_states: list[dict]) -> str:
    if not open_states:
        return "no open alerts"
    rows = ["| alert | severity | since | evaluations | last value |", "|---|---|---|---|---|"]
    for st in sorted(open_states, key=lambda x: (x["severity"] != "critical", x["rule"], x["subject"])):
        value = "" if st.get("last_value") is None else f"{st['last_value']:.4g}"
        label = escape_md(_label(st))
        rows.append(f"| {label} | {st['severity']} | {st['first_seen']:%Y-%m-%d %H:%M} | {st['evaluations']} | {value} |")
    return "\n".join(rows)

