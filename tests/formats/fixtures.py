"""Serving-log fixtures written in exactly the shapes the serving stacks document, for a model of our own.

``parcel_eta`` is a regression model a logistics team serves on SageMaker: three features, CSV in the
registry's order, a predicted delivery time out. Shapes follow the SageMaker developer guide (data capture
and ground-truth merge pages), KServe's payload logger (``pkg/logger``: a JSON array of LogRequest with the
body base64 in ``Bytes``) and Databricks inference tables.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from typing import Any

import polars as pl

from infranaut_pipelines.registry import parse_registry
from infranaut_pipelines.registry.schema import ModelSpec

MODEL = "parcel_eta"
FEATURES = ["distance_km", "parcels", "zone"]

REGISTRY_YAML = f"""\
models:
  - id: {MODEL}
    task: regression
    owner: logistics-ml
    features:
      - {{name: distance_km, type: float, min: 0, max: 2000}}
      - {{name: parcels, type: int, min: 1, max: 500}}
      - {{name: zone, type: category}}
    prediction: {{column: eta_hours}}
    label: {{column: actual_hours, timestamp_column: delivered_at, lag_days: 1}}
    drift:
      baseline: {{rolling_days: 1}}
    source:
      format: sagemaker_capture
      prefix: datacapture
      endpoint: parcel-eta-prod
      variant: AllTraffic
      ground_truth: {{prefix: groundtruth/parcel-eta}}
"""


def model(text: str = REGISTRY_YAML) -> ModelSpec:
    return parse_registry(text).model(MODEL)


def part(data: str, encoding: str, mode: str, content_type: str) -> dict[str, str]:
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_record(event_id: str, when: dt.datetime, features: list[Any] | None, prediction: Any | None,
                   encoding: str = "CSV", inference_id: str | None = None) -> dict[str, Any]:
    """One capture line; ``features``/``prediction`` None = that half not captured (Input or Output mode)."""
    capture: dict[str, Any] = {}
    if features is not None:
        if encoding == "CSV":
            capture["endpointInput"] = part(",".join(str(v) for v in features) + "\n", "CSV", "INPUT", "text/csv")
        else:
            body = json.dumps({"instances": [dict(zip(FEATURES, features))]})
            capture["endpointInput"] = part(body, encoding, "INPUT", "application/json")
    if prediction is not None:
        if encoding == "CSV":
            capture["endpointOutput"] = part(str(prediction), "CSV", "OUTPUT", "text/csv; charset=utf-8")
        else:
            capture["endpointOutput"] = part(json.dumps({"predictions": [prediction]}), encoding, "OUTPUT", "application/json")
    meta: dict[str, Any] = {"eventId": event_id, "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if inference_id is not None:
        meta["inferenceId"] = inference_id
    return {"captureData": capture, "eventMetadata": meta, "eventVersion": "0"}


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def ground_truth_record(event_id: str, label: Any) -> dict[str, Any]:
    return {"groundTruthData": {"data": str(label), "encoding": "CSV"}, "eventMetadata": {"eventId": event_id},
            "eventVersion": "0"}


def capture_key(when: dt.datetime, name: str = "capture.jsonl") -> str:
    return f"datacapture/parcel-eta-prod/AllTraffic/{when:%Y/%m/%d/%H}/{name}"


def ground_truth_key(when: dt.datetime, name: str = "labels.jsonl") -> str:
    return f"groundtruth/parcel-eta/{when:%Y/%m/%d/%H}/{name}"


def kserve_object(rid: str, rtype: str, body: dict[str, Any], component: str = "predictor") -> bytes:
    """What the payload logger's blob store writes: a JSON array of LogRequest (Go field names)."""
    entry = {
        "Url": None, "Bytes": base64.b64encode(json.dumps(body).encode()).decode(), "ContentType": "application/json",
        "ReqType": f"org.kubeflow.serving.inference.{rtype}", "Id": rid, "SourceUri": None,
        "InferenceService": "parcel-eta", "Namespace": "logistics", "Component": component, "Endpoint": "",
        "Metadata": {}, "Annotations": {}, "CertName": "", "TlsSkipVerify": False,
    }
    return json.dumps([entry]).encode()


def inference_table_parquet(rows: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    pl.DataFrame(rows).write_parquet(buf)
    return buf.getvalue()
