"""Retention (issue 18) on DuckDB and PostgreSQL: rows and lake partitions past retention are gone, everything
else is byte-identical; open alerts, undelivered messages and the baseline's window are never touched."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from infranaut_pipelines.alerting.store import AlertStore, alert_events, alert_outbox, alert_state
from infranaut_pipelines.ingest.rejections import Rejection, record_rejections
from infranaut_pipelines.monitoring.layout import baseline_pointer_key, waiting_marker_key
from infranaut_pipelines.registry import load_registry
from infranaut_pipelines.retention import RetentionConfigError, apply_retention, load_policy
from infranaut_pipelines.retention.rules import TABLE_RULES
from infranaut_pipelines.storage import LocalStore
from infranaut_pipelines.warehouse import Warehouse
from tests.conftest import throwaway_pg_database
from tests.s3_server import s3_bucket, s3_server  # noqa: F401 - fixtures
from tests.support.own_model import MODEL, REGISTRY_YAML

TODAY = dt.date(2026, 12, 1)
OTHER = "churn_no_baseline"  # registered, no baseline yet: every day kept
GONE = "retired_model"  # no longer registered: nothing protects it
OLD, OLD2 = dt.date(2026, 10, 1), dt.date(2026, 10, 5)  # past a 10-day retention, outside any window
WINDOW, WAITING = [dt.date(2026, 10, 2), dt.date(2026, 10, 3)], dt.date(2026, 10, 4)
RECENT = dt.date(2026, 11, 28)

POLICY = """\
batch_rows: 2
warehouse: {inference_log: 10, drift_results: 10, hourly_model_metrics: 10, rejected_drops: 10,
            alert_state: 10, alert_events: 10, alert_outbox: 10}
lake: {raw_inferences: 10, model_features: 10, reports: 10}
"""


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        yield Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
        return
    with throwaway_pg_database("infranaut_retention") as url:
        yield Warehouse(url)


def _registry(tmp_path: Path):  # type: ignore[no-untyped-def]
    head, block = REGISTRY_YAML.split("\n", 1)
    path = tmp_path / "models.yaml"
    path.write_text(head + "\n" + block + block.replace(MODEL, OTHER))
    return load_registry(str(path))


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))  # naive UTC, as the alert store keeps it


def _fill(wh: Warehouse) -> dict[str, set[str]]:
    """Write every kind of row; returns, per table, the ids of the rows retention must delete."""
    gone: dict[str, set[str]] = {}
    # (model, day, deleted?): the baseline window and waiting day of MODEL, and all of OTHER, stay.
    slices = [(MODEL, OLD, True), (MODEL, OLD2, True), (MODEL, WINDOW[0], False), (MODEL, WINDOW[1], False),
              (MODEL, WAITING, False), (MODEL, RECENT, False), (OTHER, OLD, False), (GONE, OLD, True),
              (GONE, RECENT, False)]
    for table in ("inference_log", "drift_results", "hourly_model_metrics"):
        frames = []
        for model, day, deleted in slices:
            ids = [f"{table}-{model}-{day}-{i}" for i in range(3)]  # 3 rows a slice: batches of 2 straddle them
            frames.append(pl.DataFrame({"model_id": [model] * 3, "partition_date": [day] * 3, "row_id": ids,
                                        "value": [1.5, None, -0.25]}))
            if deleted:
                gone.setdefault(table, set()).update(ids)
        wh.append(table, pl.concat(frames))
    # label_log has no retention in this policy: untouched however old.
    wh.replace_partition("label_log", pl.DataFrame({"model_id": [MODEL], "partition_date": [OLD], "row_id": ["l"]}),
                         {"model_id": MODEL, "partition_date": OLD})
    for key, when, deleted in (("old.csv", OLD, True), ("new.csv", RECENT, False)):
        record_rejections(wh, [Rejection(key, "bad", "sensor", "v1", MODEL, when.isoformat())],
                          at=dt.datetime.combine(when, dt.time(8), tzinfo=dt.timezone.utc))
        if deleted:
            gone.setdefault("rejected_drops", set()).add(key)

    AlertStore(wh)  # creates the alert tables
    states = [("open-old", "open", None, False), ("resolved-old", "resolved", _at(OLD), True),
              ("resolved-new", "resolved", _at(RECENT), False), ("suppressed-old", "suppressed", None, False)]
    outbox = [("sent", _at(OLD), False, True), ("pending", None, False, False), ("failed", None, False, False),
              ("sent", _at(RECENT), False, False), ("sent", _at(OLD2), True, False)]  # the last: in doubt
    with wh.connect() as conn:
        for fp, status, resolved_at, deleted in states:
            conn.execute(alert_state.insert().values(
                fingerprint=fp, model_id=MODEL, rule="r", subject="", metric="psi", severity="warning",
                base_severity="warning", status=status, channel="#c", first_seen=_at(OLD), last_seen=_at(OLD),
                evaluations=1, last_partition=OLD, escalated=False, resolved_at=resolved_at))
            if deleted:
                gone.setdefault("alert_state", set()).add(fp)
            for day in (OLD, WINDOW[0], RECENT):  # an open alert's history stays whole
                conn.execute(alert_events.insert().values(
                    fingerprint=fp, partition_date=day, model_id=MODEL, rule="r", subject="", severity="warning",
                    result="fired", recorded_at=_at(day)))
                if status == "resolved" and day == OLD:
                    gone.setdefault("alert_events", set()).add(f"{fp}|{day}")
        for i, (status, sent_at, in_doubt, deleted) in enumerate(outbox):
            conn.execute(alert_outbox.insert().values(
                id=i + 1, fingerprint="open-old", fingerprints="[]", model_id=MODEL, partition_date=OLD, kind="fire",
                channel="#c", payload=json.dumps({"text": f"m{i}"}), created_at=_at(OLD), status=status,
                attempts=1, sent_at=sent_at, in_doubt=in_doubt))
            if deleted:
                gone.setdefault("alert_outbox", set()).add(str(i + 1))
    return gone


_ID = {"alert_state": "fingerprint", "alert_outbox": "id", "rejected_drops": "key"}


def _snapshot(wh: Warehouse) -> dict[str, dict[str, str]]:
    """Every row of every table, as text, by an id (compared whole: byte-identical means every column)."""
    out: dict[str, dict[str, str]] = {}
    with wh.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        for table in sorted({*TABLE_RULES, "label_log"} & present):
            result = conn.execute(sa.text(f'SELECT * FROM "{table}"'))
            rows = [dict(zip(result.keys(), r)) for r in result.fetchall()]
            out[table] = {_row_id(table, r): repr(sorted(r.items())) for r in rows}
    return out


def _row_id(table: str, row: dict) -> str:
    if table == "alert_events":
        return f"{row['fingerprint']}|{row['partition_date']}"
    if table == "alert_evaluations":
        return f"{row['model_id']}|{row['partition_date']}|{row['source']}"
    return str(row.get(_ID.get(table, "row_id")))


def _lake(tmp_path: Path) -> tuple[LocalStore, set[str]]:
    lake = LocalStore(tmp_path / "lake")
    gone: set[str] = set()
    for asset in ("raw_inferences", "model_features", "validated_inferences"):
        for model, day in [(MODEL, OLD), (MODEL, WINDOW[0]), (MODEL, WAITING), (MODEL, RECENT), (OTHER, OLD),
                           (GONE, OLD)]:
            key = f"{asset}/model={model}/date={day}.parquet"
            lake.write_bytes(key, f"{asset}{model}{day}".encode())
            if day == OLD and model != OTHER and asset != "validated_inferences":  # no retention set for it
                gone.add(key)
    for model, day in [(MODEL, OLD), (MODEL, WINDOW[1]), (MODEL, RECENT)]:
        for name in ("drift_report.html", "drift_report.json"):
            key = f"reports/{model}/{day}/{name}"
            lake.write_bytes(key, b"<html>")
            if day == OLD:
                gone.add(key)
    pointer = {"model_id": MODEL, "version": "v1", "sketch_key": "baselines/x/v1.json",
               "days": [d.isoformat() for d in WINDOW]}
    lake.write_bytes(baseline_pointer_key(MODEL), json.dumps(pointer).encode())
    lake.write_bytes(waiting_marker_key(MODEL, WAITING), b"waiting")
    lake.write_bytes(f"ingested/inferences/{MODEL}/{OLD}.json", b"{}")  # the ledger is not an asset: kept
    return lake, gone


def _lake_snapshot(lake: LocalStore) -> dict[str, bytes]:
    return {o.key: lake.read_bytes(o.key) for o in lake.list()}


def test_past_retention_is_gone_and_everything_else_is_identical(warehouse: Warehouse, tmp_path: Path) -> None:
    (tmp_path / "retention.yaml").write_text(POLICY)
    policy = load_policy(tmp_path / "retention.yaml")
    # Keys left out keep the packaged default (label_log, validated_inferences: 90 days, longer than OLD's age).
    assert policy.warehouse["label_log"] == load_policy().warehouse["label_log"] == 90
    gone = _fill(warehouse)
    lake, lake_gone = _lake(tmp_path)
    before, lake_before = _snapshot(warehouse), _lake_snapshot(lake)
    registry = _registry(tmp_path)

    summary = apply_retention(warehouse, lake, policy, registry, TODAY)

    after = _snapshot(warehouse)
    expected = {t: {k: v for k, v in rows.items() if k not in gone.get(t, set())} for t, rows in before.items()}
    assert after == expected
    assert {t: n for t, n in summary.rows_deleted.items() if n} == {t: len(ids) for t, ids in gone.items()}
    assert _lake_snapshot(lake) == {k: v for k, v in lake_before.items() if k not in lake_gone}
    assert {a: n for a, n in summary.partitions_expired.items() if n} == {
        "raw_inferences": 2, "model_features": 2, "reports": 1}

    # A second run finds nothing more to do.
    again = apply_retention(warehouse, lake, policy, registry, TODAY)
    assert sum(again.rows_deleted.values()) == 0 and sum(again.partitions_expired.values()) == 0
    assert _snapshot(warehouse) == after


def test_a_bad_retention_file_names_the_key(tmp_path: Path) -> None:
    for text, expected in (("warehouse: {inference_logs: 30}", "warehouse.inference_logs is not one"),
                           ("lake: {raw_inferences: 0}", "lake.raw_inferences must be a number of days"),
                           ("batch_rows: lots", "batch_rows must be a whole number"),
                           ("keep: forever", "unknown key(s) keep")):
        path = tmp_path / "r.yaml"
        path.write_text(text)
        with pytest.raises(RetentionConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            load_policy(path)


def test_the_scheduled_job_applies_the_packaged_defaults(tmp_path: Path) -> None:
    import dagster as dg
    from dagster_aws.s3 import S3Resource

    from infranaut_pipelines.jobs import retention_job
    from infranaut_pipelines.resources.storage import InfranautSettings, ObjectStoreResource, WarehouseResource
    from infranaut_pipelines.schedules.retention import build_retention_schedule
    from tests.support.env import temporary_env

    schedule = build_retention_schedule()
    assert schedule.job_name == "retention_job" and schedule.execution_timezone == "UTC"
    lake, _ = _lake(tmp_path)
    (tmp_path / "models.yaml").write_text(REGISTRY_YAML)
    resources = {
        "warehouse": WarehouseResource(url=f"duckdb:///{tmp_path / 'wh.duckdb'}"),
        "lake": ObjectStoreResource(url=lake.url, s3=S3Resource()),
        "settings": InfranautSettings(registry_path=str(tmp_path / "models.yaml")),
    }
    with temporary_env({"INFRANAUT_RETENTION": None}), dg.instance_for_test() as instance:
        result = retention_job.execute_in_process(
            instance=instance, resources=resources,
            run_config={"ops": {"apply_retention_op": {"config": {"today": TODAY.isoformat()}}}})
    assert result.success
    [mat] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    expired = mat.event_specific_data.metadata["partitions_expired"].value  # type: ignore[union-attr]
    # Defaults: raw_inferences 30 days (OLD is 61 days back), model_features 180 and reports 365 (kept).
    # Only MODEL is registered here, so the OLD partitions of the two others go too.
    assert expired["raw_inferences"] == 3 and expired["model_features"] == 0 and expired["reports"] == 0
    assert lake.head(f"raw_inferences/model={MODEL}/date={OLD}.parquet") is None
    assert lake.head(f"raw_inferences/model={MODEL}/date={WINDOW[0]}.parquet") is not None  # baseline window


def test_lake_expiry_on_s3_deletes_exactly_the_expired_partitions(s3_bucket) -> None:  # type: ignore[no-untyped-def]
    from infranaut_pipelines.retention.apply import expire_lake
    from infranaut_pipelines.retention.rules import cutoff_day
    from infranaut_pipelines.storage import S3Store

    lake = S3Store(s3_bucket.name, "infranaut", s3_bucket.client)
    old = f"raw_inferences/model={GONE}/date={OLD}.parquet"
    beside = [old + ".bak", f"raw_inferences/model={GONE}/date={RECENT}.parquet",
              f"raw_inferences/model={MODEL}/date={WINDOW[0]}.parquet"]
    for key in [old, *beside]:
        lake.write_bytes(key, b"x")
    assert expire_lake(lake, "raw_inferences", cutoff_day(TODAY, 10), {MODEL: set(WINDOW)}) == 1
    assert sorted(o.key for o in lake.list()) == sorted(beside)  # a key that merely starts with it stays
