"""Request and response bodies to feature values and predictions, by the registry's feature list.

Shapes understood (what SageMaker containers, KServe and Databricks serving accept and return):

* CSV: one instance per line, values in the registry's feature order (a trailing newline is fine);
* JSON object keyed by feature name; ``{"instances": [...]}`` / ``{"inputs": [...]}`` /
  ``{"dataframe_records": [...]}`` of such objects or of value lists; ``{"features": [...]}`` (values in
  feature order); ``{"dataframe_split": {"columns": [...], "data": [[...]]}}``; KServe V2 ``inputs`` tensors.
* Responses: a number or string, a CSV line, a list (one per instance), ``{"predictions": [...]}``,
  ``{"outputs": [...]}`` (also V2 tensors), or objects carrying the prediction column / ``score``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from infranaut_pipelines.ingest.formats.records import Decoded, shorten
from infranaut_pipelines.registry.schema import ModelSpec


class PayloadError(ValueError):
    """A body that does not give the model's features or prediction; the message is a quarantine reason."""


Instance = dict[str, Any]


def parse_body(text: str, content_type: str) -> Any:
    """JSON or CSV rows (list of lists of strings), by content type; JSON is tried when the type is unknown."""
    ctype = (content_type or "").lower()
    if "csv" in ctype:
        return _csv_rows(text)
    try:
        return json.loads(text)
    except ValueError:
        if "json" in ctype:
            raise PayloadError(f"body is not valid JSON: {shorten(text)!r}") from None
        return _csv_rows(text)


def _csv_rows(text: str) -> list[list[str]]:
    rows = [r for r in csv.reader(io.StringIO(text.strip("\r\n"))) if r]
    if not rows:
        raise PayloadError("CSV body is empty")
    return rows


def instances(body: Any, spec: ModelSpec) -> list[Instance]:
    """The feature values of each instance in a request body."""
    names = spec.feature_names
    if isinstance(body, dict):
        for key in ("instances", "inputs", "dataframe_records"):
            if key in body:
                value = body[key]
                if key == "inputs" and _is_v2_tensors(value):
                    return _v2_instances(value, names)
                if not isinstance(value, list):
                    raise PayloadError(f"'{key}' is not a list")
                return [_instance(v, names) for v in value]
        if "dataframe_split" in body:
            split = body["dataframe_split"]
            if not isinstance(split, dict) or not isinstance(split.get("columns"), list):
                raise PayloadError("'dataframe_split' needs 'columns' and 'data'")
            return [_instance(dict(zip(split["columns"], row)), names) for row in split.get("data") or []]
        return [_instance(body, names)]
    if isinstance(body, list):
        if body and all(not isinstance(v, dict | list) for v in body):
            return [_by_order(body, names, "JSON list")]
        return [_instance(v, names) for v in body]
    raise PayloadError(f"request body is a JSON {type(body).__name__}, not an object or a list of instances")


def _instance(value: Any, names: list[str]) -> Instance:
    if isinstance(value, dict):
        if "features" in value and isinstance(value["features"], list) and not (set(names) & set(value)):
            return _by_order(value["features"], names, "'features' list")
        missing = [n for n in names if n not in value]
        if missing:
            raise PayloadError(f"JSON instance lacks feature(s) {', '.join(missing[:5])}")
        return {n: value[n] for n in names}
    if isinstance(value, list):
        return _by_order(value, names, "instance list")
    raise PayloadError(f"an instance is a JSON {type(value).__name__}, not an object or a list of values")


def _by_order(values: list[Any], names: list[str], what: str) -> Instance:
    if len(values) != len(names):
        raise PayloadError(f"{what} has {len(values)} field(s); the registry lists {len(names)} feature(s) in order")
    return dict(zip(names, values))


def _is_v2_tensors(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(t, dict) and "data" in t and "name" in t for t in value)


def _v2_instances(tensors: list[dict], names: list[str]) -> list[Instance]:
    """KServe V2 (Open Inference Protocol): one tensor per feature (shape [n] or [n, 1]), or one [n, k] tensor."""
    by_name = {t["name"]: t for t in tensors}
    if set(names) <= set(by_name):
        cols = {n: _flat(by_name[n]["data"]) for n in names}
        sizes = {len(c) for c in cols.values()}
        if len(sizes) != 1:
            raise PayloadError("V2 input tensors have different lengths")
        return [{n: cols[n][i] for n in names} for i in range(sizes.pop())]
    if len(tensors) == 1:
        t = tensors[0]
        data, shape = _flat(t["data"]), t.get("shape") or []
        width = shape[-1] if len(shape) == 2 else len(data)
        if width != len(names) or len(data) % len(names):
            raise PayloadError(f"V2 tensor {shorten(str(t['name']))!r} of shape {shape} does not have "
                               f"{len(names)} feature(s) per row")
        return [dict(zip(names, data[i:i + width])) for i in range(0, len(data), width)]
    missing = [n for n in names if n not in by_name]
    raise PayloadError(f"V2 inputs lack tensor(s) for feature(s) {', '.join(missing[:5])}")


def _flat(data: Any) -> list[Any]:
    if isinstance(data, list):
        out: list[Any] = []
        for v in data:
            out += _flat(v) if isinstance(v, list) else [v]
        return out
    return [data]


def predictions(body: Any, spec: ModelSpec) -> list[Any]:
    """The prediction of each instance in a response body."""
    column = spec.prediction.column
    if isinstance(body, dict):
        for key in ("predictions", "outputs"):
            if key in body:
                value = body[key]
                if key == "outputs" and _is_v2_tensors(value):
                    wanted = [t for t in value if t.get("name") == column] or value[:1]
                    return _flat(wanted[0]["data"])
                return [_pick(v, column) for v in value] if isinstance(value, list) else [_pick(value, column)]
        return [_pick(body, column)]
    if isinstance(body, list):
        return [_pick(v, column) for v in body]
    return [body]


def _one(row: list[Any]) -> Any:
    if len(row) != 1:
        raise PayloadError(f"response row has {len(row)} values; expected one prediction")
    return row[0]


def _pick(value: Any, column: str) -> Any:
    if isinstance(value, dict):
        for key in (column, "score", "prediction", "predicted_label"):
            if key in value:
                return value[key]
        raise PayloadError(f"response object has no {column!r} or 'score' key")
    if isinstance(value, list):
        return _one(value)
    return value


def text_value(value: Any) -> str | None:
    """A JSON value as the text the contract's coercion reads (bools as true/false, nested values as JSON)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def add_instances(out: Decoded, base: dict[str, Any], rid: str, feats: list[dict[str, Any]], preds: list[Any],
                  spec: ModelSpec, where: str) -> None:
    """One contract row per (instance, prediction) of a request/response pair; a count mismatch is one
    quarantined row naming the record. Batches get ids ``<rid>#<n>`` so every instance stays addressable."""
    if len(feats) != len(preds):
        out.add(base, [f"record: {where}: {len(feats)} instance(s) in the request but {len(preds)} prediction(s)"])
        return
    for i, (f, p) in enumerate(zip(feats, preds, strict=True)):
        row = {**base, "prediction_id": rid if len(feats) == 1 else f"{rid}#{i}"}
        row.update({k: text_value(v) for k, v in f.items()})
        row[spec.prediction.column] = text_value(p)
        out.add(row)
