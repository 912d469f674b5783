"""Alerting phase: evaluate the rules for one (date, model), record alert state, deliver to Slack.

State and the outbox live in the warehouse, so a re-run of the same partition finds the same
fingerprints (no second alert), and a message Slack did not accept waits for the next run.
"""


import datetime as dt
import json

import dagster as dg

from infranaut_pipelines.alerting import AlertStore
from infranaut_pipelines.assets.baseline import current_pointer_key
from infranaut_pipelines.assets.validation import escape_md
from infranaut_pipelines.monitoring.signals import build_signals
from infranaut_pipelines.partitions import date_model_partitions, split_partition_key
from infranaut_pipelines.registry import Registry
from infranaut_pipelines.resources.notify import NotifierResource
from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource


def validate_alert_config(registry: Registry) -> None:
    """Called at definitions load: bad rules or Slack settings fail the deploy with a clear message."""
    NotifierResource.from_env().rules(registry)  # rules path comes from the env at load time, as at run time
    NotifierResource.validate_env()


@dg.asset(
    partitions_def=date_model_partitions,
    group_name="alerting",
    kinds={"slack"},
    deps=[dg.AssetKey("drift_report"), dg.AssetKey("daily_model_metrics"), dg.AssetKey("validated_inferences")],
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
    day, model_id = split_partition_key(context)
    registry = settings.registry()
    spec = registry.model(model_id)
    store = lake.get_store()
    importance: dict[str, float] = {}
    if store.head(current_pointer_key(model_id)) is not None:
        importance = json.loads(store.read_bytes(current_pointer_key(model_id))).get("importance", {})
    report_uri = store.uri(f"reports/{model_id}/{day.isoformat()}/drift_report.html")
    signals = build_signals(
        warehouse.get_warehouse(),
        spec,
        day,
        dt.datetime.now(dt.timezone.utc),
        importance=importance,
        report_url=report_uri if report_uri.startswith("http") else None,
        run_url=settings.run_url(context.run_id),
    )
    summary, delivery = notifier.record_and_deliver(warehouse.get_warehouse(), registry, signals, context.log)
    states = {s["fingerprint"]: s for s in AlertStore(warehouse.get_warehouse()).states(model_id)}

    def names(fingerprints: list[str]) -> str:
        return ", ".join(_label(states[f]) if f in states else f[:12] for f in fingerprints) or "none"

    metadata: dict[str, dg.RawMetadataValue] = {
        "findings": dg.MetadataValue.int(summary.findings),
        "fired": dg.MetadataValue.text(names(summary.fired)),
        "open_alerts": dg.MetadataValue.md(_open_table([s for s in states.values() if s["status"] == "open"])),
        "escalated": dg.MetadataValue.int(len(summary.escalated)),
        "resolved": dg.MetadataValue.int(len(summary.resolved)),
        "suppressed": dg.MetadataValue.int(len(summary.suppressed)),
        "still_open": dg.MetadataValue.int(len(summary.still_open)),
        "historic_partition": dg.MetadataValue.bool(summary.historic),
        "slack": dg.MetadataValue.text("not configured" if delivery is None else json.dumps(delivery.as_metadata())),
    }
    return dg.MaterializeResult(metadata=metadata)


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


def asset_checks() -> list[dg.AssetChecksDefinition]:
    return []
