"""The demo landing zone: reproducible, on contract, with the promised drift, SLA breach, late labels and bad rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import mannwhitneyu, wasserstein_distance

from infranaut_pipelines.demo import BAD_KINDS, DEFAULT_DEMO_DAYS, DEFAULT_DEMO_START, DRIFT_EPISODES, write_demo_drops
from infranaut_pipelines.ingest.contract import STANDARD_INFERENCE_COLUMNS, STATUS_VALUES, parse_drop_key
from infranaut_pipelines.storage.object_store import open_store


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_arguments_write_identical_bytes(tmp_path, registry):
    kwargs = dict(start=DEFAULT_DEMO_START, days=4, rows_per_day=300, seed=11)
    m1 = write_demo_drops(open_store(str(tmp_path / "a")), registry, **kwargs)
    m2 = write_demo_drops(open_store(str(tmp_path / "b")), registry, **kwargs)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert sorted(a) == sorted(m1.files)
    assert a == b
    assert m1.to_dict() == m2.to_dict()
    other = write_demo_drops(open_store(str(tmp_path / "c")), registry, **{**kwargs, "seed": 12})
    c = _tree(tmp_path / "c")
    assert sorted(c) == sorted(a) and all(c[k] != a[k] for k in a)
    assert other.to_dict()["files"] == m1.to_dict()["files"]


def test_every_key_follows_the_contract(demo):
    store, m = demo
    assert m.start == DEFAULT_DEMO_START and m.days == DEFAULT_DEMO_DAYS and len(m.dates) == DEFAULT_DEMO_DAYS
    assert sorted(o.key for o in store.list()) == sorted(m.files)
    extensions = set()
    for key in m.files:
        drop = parse_drop_key(key)
        assert drop.model_id in m.models and drop.date in m.dates
        extensions.add(drop.extension)
        listed = m.inference_files if drop.kind == "inferences" else {k: {d: [v] for d, v in x.items()} for k, x in m.label_files.items()}
        assert key in listed[drop.model_id][drop.partition_date]
    assert {".parquet", ".csv.gz", ".jsonl"} <= extensions
    assert any(len(keys) == 2 for per_model in m.inference_files.values() for keys in per_model.values())


def _day(store, m, read_drop, model: str, day: str, clean: bool) -> pd.DataFrame:
    bad = {(b.key, b.row) for b in m.bad_row_details if b.model_id == model and b.date.isoformat() == day}
    parts = []
    for key in m.inference_files[model][day]:
        df = read_drop(store, key).assign(_key=key, _row=lambda d: np.arange(len(d)))
        parts.append(df[[(key, r) not in bad for r in range(len(df))]] if clean else df)
    return pd.concat(parts, ignore_index=True)


def test_clean_rows_are_clean_and_complete(demo, registry, read_drop):
    store, m = demo
    for spec in registry.models:
        expected = set(STANDARD_INFERENCE_COLUMNS) | set(spec.feature_names) | {spec.prediction.column}
        for day in m.dates:
            d = day.isoformat()
            everything = _day(store, m, read_drop, spec.id, d, clean=False)
            assert len(everything) == m.rows[spec.id][d] == 2000
            assert set(everything.columns) - {"_key", "_row"} == expected
            df = _day(store, m, read_drop, spec.id, d, clean=True)
            assert len(df) == 2000 - m.bad_total(spec.id, d)
            assert df["prediction_id"].notna().all() and df["prediction_id"].is_unique
            assert set(df["model_id"]) == {spec.id}
            ts = pd.to_datetime(df["timestamp"], utc=True)
            assert (ts.dt.date == day).all()
            assert set(df["status"]) <= set(STATUS_VALUES)
            errors = df["status"] == "error"
            assert df.loc[errors, spec.prediction.column].isna().all()
            assert df.loc[~errors, spec.prediction.column].notna().all()
            assert errors.sum() == m.error_rows[spec.id][d] and errors.mean() < 0.015
            for f in spec.features:
                col = df[f.name]
                if f.is_numeric:
                    values = pd.to_numeric(col)  # raises if a clean row is unparseable
                    assert values.between(f.min, f.max).all(), f.name
                elif f.type == "category" and f.values:
                    assert set(col) <= set(f.values), f.name
                if not f.nullable:
                    assert col.notna().all()


def test_every_bad_row_is_recorded_with_its_defect(demo, registry, read_drop):
    store, m = demo
    for spec in registry.models:
        for day in m.dates:
            d = day.isoformat()
            counts = m.bad_rows[spec.id][d]
            assert set(counts) == set(BAD_KINDS)
            details = [b for b in m.bad_row_details if b.model_id == spec.id and b.date == day]
            assert sum(counts.values()) == len(details)
            assert 0.005 <= len(details) / m.rows[spec.id][d] <= 0.0105
            for kind in BAD_KINDS:
                assert counts[kind] == sum(b.kind == kind for b in details)
            for b in details:
                df = read_drop(store, b.key)
                row = df.iloc[b.row]
                if b.kind == "out_of_range":
                    f = spec.feature(b.column)
                    assert not (f.min <= float(row[b.column]) <= f.max)
                elif b.kind == "duplicate_id":
                    assert row["prediction_id"] == b.prediction_id
                    assert (df["prediction_id"].iloc[: b.row] == b.prediction_id).sum() == 1
                elif b.kind == "timestamp_outside_day":
                    assert pd.Timestamp(row["timestamp"]).tz_convert("UTC").date() != day
                elif b.kind == "unparseable_number":
                    assert ".csv" in b.key
                    assert pd.isna(pd.to_numeric(pd.Series([row[b.column]]), errors="coerce")[0])
                    assert isinstance(row[b.column], str) and row[b.column] != ""
                elif b.kind == "null_required":
                    assert pd.isna(row["prediction_id"]) and b.prediction_id is None
                elif b.kind == "invalid_status":
                    assert row["status"] not in STATUS_VALUES
    total = {k: sum(c[k] for per in m.bad_rows.values() for c in per.values()) for k in BAD_KINDS}
    for kind in ("out_of_range", "duplicate_id", "timestamp_outside_day", "unparseable_number", "null_required"):
        assert total[kind] > 0, kind


def _distance(ref: pd.Series, cur: pd.Series, numeric: bool) -> float:
    if numeric:
        r, c = pd.to_numeric(ref), pd.to_numeric(cur)
        return float(wasserstein_distance(r, c) / r.std())
    cats = sorted(set(ref.astype(str)) | set(cur.astype(str)))
    p = ref.astype(str).value_counts().reindex(cats, fill_value=0).to_numpy()
    q = cur.astype(str).value_counts().reindex(cats, fill_value=0).to_numpy()
    return float(jensenshannon(p, q))


@pytest.mark.parametrize("model_id", sorted(DRIFT_EPISODES))
def test_drift_episode_moves_exactly_the_declared_features(demo, registry, read_drop, model_id):
    store, m = demo
    spec, episode = registry.model(model_id), DRIFT_EPISODES[model_id]
    assert m.drift_episodes[model_id] == episode
    days = {d.isoformat(): _day(store, m, read_drop, model_id, d.isoformat(), clean=True) for d in m.dates}
    ref = pd.concat([days[d.isoformat()] for d in m.dates[:3]])
    # Identifiers (sensitive, high-cardinality e-mails) are not drift material: every day has new customers.
    features = [f for f in spec.features if not f.sensitive]
    for i, day in enumerate(m.dates[3:], start=3):
        for f in features:
            dist = _distance(ref[f.name], days[day.isoformat()][f.name], f.is_numeric)
            if episode.active(i) and f.name in episode.features:
                assert dist > 0.1, (day, f.name, dist)
            else:
                assert dist < 0.08, (day, f.name, dist)  # clearly below a 0.1 threshold


def test_latency_breaches_the_sla_only_on_the_declared_day(demo, registry, read_drop):
    store, m = demo
    assert m.latency_breach_dates["fraud_detector"] and m.latency_breach_dates["demand_forecaster"] == []
    for spec in registry.models:
        for day in m.dates:
            p95 = _day(store, m, read_drop, spec.id, day.isoformat(), clean=True)["latency_ms"].quantile(0.95)
            breached = day in m.latency_breach_dates[spec.id]
            assert (p95 > spec.sla.latency_p95_ms) == breached, (spec.id, day, p95)
    breach = m.latency_breach_dates["fraud_detector"][0]
    assert breach in m.drift_dates("fraud_detector")


def test_labels_arrive_a_day_late_and_not_yet_for_the_last_day(demo, registry, read_drop):
    store, m = demo
    last = m.dates[-1]
    for spec in registry.models:
        assert last.isoformat() not in m.label_files[spec.id]
        assert not list(store.list(f"labels/{spec.id}/dt={last.isoformat()}/"))
        for day in m.dates[:-1]:
            d = day.isoformat()
            labels = read_drop(store, m.label_files[spec.id][d])
            assert list(labels.columns) == ["prediction_id", spec.label.column, spec.label.timestamp_column]
            assert len(labels) == m.label_rows[spec.id][d]
            assert 0.85 <= len(labels) / m.rows[spec.id][d] <= 0.95
            assert (pd.to_datetime(labels[spec.label.timestamp_column], utc=True).dt.date == day + dt.timedelta(days=1)).all()
            preds = _day(store, m, read_drop, spec.id, d, clean=True)
            joined = labels.merge(preds, on="prediction_id", how="left", validate="one_to_one")
            assert joined["timestamp"].notna().all()  # every label belongs to a clean prediction of that day
            pred, truth = joined[spec.prediction.column], joined[spec.label.column]
            if spec.id == "fraud_detector":
                assert set(truth) <= {0, 1}
                # ~3-8% fraud normally; the drift (bigger amounts, riskier merchants) raises it, as it would.
                assert 0.03 <= truth.mean() <= (0.15 if day in m.drift_dates(spec.id) else 0.08)
                auc = mannwhitneyu(pred[truth == 1], pred[truth == 0]).statistic / ((truth == 1).sum() * (truth == 0).sum())
                assert auc > 0.7
            else:
                assert np.corrcoef(pred, truth)[0, 1] > 0.8


def test_manifest_serialises_to_json(demo):
    _, m = demo
    d = json.loads(json.dumps(m.to_dict()))
    assert d["start"] == "2026-11-01" and d["days"] == 10 and len(d["dates"]) == 10
    assert d["drift_episodes"]["fraud_detector"]["features"] == ["amount", "merchant_category"]
    assert d["rows"]["demand_forecaster"]["2026-11-01"] == 2000
    assert len(d["bad_row_details"]) == sum(m.bad_total(mid, day) for mid in m.models for day in m.dates)
