"""Models the demo does not know still get valid drops (from their registry specs), and the CLI works."""

from __future__ import annotations

import json

import pandas as pd

from infranaut_pipelines.cli import main
from infranaut_pipelines.demo import DEFAULT_DEMO_START, write_demo_drops
from infranaut_pipelines.ingest.contract import parse_drop_key
from infranaut_pipelines.registry import parse_registry
from infranaut_pipelines.storage.object_store import open_store

REGISTRY = """
models:
  - id: churn_classifier
    task: multiclass_classification
    features:
      - {name: tenure_months, type: int, min: 0, max: 240, nullable: false}
      - {name: plan, type: category, values: [basic, plus, pro], allow_new_values: false}
      - {name: monthly_spend, type: float, min: 0, max: 500}
      - {name: has_app, type: bool}
    prediction: {column: segment, classes: [stay, at_risk, churn]}
    label: {column: true_segment}
"""


def test_unknown_model_gets_valid_rows_and_restricted_category_defects(tmp_path, read_drop):
    registry = parse_registry(REGISTRY)
    store = open_store(str(tmp_path))
    m = write_demo_drops(store, registry, days=3, rows_per_day=1000, seed=3)
    assert m.models == ["churn_classifier"] and m.drift_episodes == {}
    spec = registry.model("churn_classifier")
    for key in m.inference_files["churn_classifier"]["2026-11-01"]:
        assert parse_drop_key(key).kind == "inferences"
    df = pd.concat(read_drop(store, k) for k in m.inference_files["churn_classifier"]["2026-11-01"])
    bad = {b.prediction_id for b in m.bad_row_details if b.date == DEFAULT_DEMO_START}
    good = df[~df["prediction_id"].isin(bad) & df["prediction_id"].notna()]
    assert set(good.loc[good["status"] == "ok", "segment"]) <= set(spec.prediction.classes)
    assert good["tenure_months"].between(0, 240).all() and good["tenure_months"].notna().all()
    assert sum(m.bad_rows["churn_classifier"][d.isoformat()]["unknown_category"] for d in m.dates) > 0
    for b in m.bad_row_details:
        if b.kind == "unknown_category":
            assert b.column == "plan"


def test_cli_writes_drops_and_manifest(tmp_path, capsys):
    out = tmp_path / "manifest.json"
    rc = main(["demo", "--landing", str(tmp_path / "landing"), "--days", "2", "--rows-per-day", "200", "--model", "fraud_detector",
               "--manifest", str(out)])
    assert rc == 0
    manifest = json.loads(out.read_text())
    assert manifest["models"] == ["fraud_detector"] and manifest["dates"] == ["2026-11-01", "2026-11-02"]
    assert list(manifest["label_files"]["fraud_detector"]) == ["2026-11-01"]
    assert (tmp_path / "landing" / manifest["files"][0]).is_file()
    assert f"wrote {len(manifest['files'])} demo drops for fraud_detector" in capsys.readouterr().out
