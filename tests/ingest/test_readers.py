"""read_drop: every format yields the same typed raw contract, and no bad value disappears silently."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import polars as pl
import pytest

from infranaut_pipelines.ingest.contract import BadDropKey, parse_drop_key
from infranaut_pipelines.ingest.readers import (
    UnreadableDrop,
    iter_drop_batches,
    raw_contract_schema,
    read_drop,
    read_drop_with_report,
)

UTC = dt.timezone.utc
KEY = "inferences/fraud_detector/dt=2026-11-20/batch.csv"
HEADER = (
    "prediction_id,model_id,model_version,timestamp,latency_ms,status,amount,merchant_category,account_age_days,"
    "num_tx_24h,distance_from_home_km,is_international,device_type,customer_email,score"
)
GOOD_ROWS = [
    "p1,fraud_detector,v1,2026-11-20T10:00:00Z,12.5,ok,10.5,grocery,100,3,1.5,true,mobile,a@b.c,0.1",
    "p2,fraud_detector,v1,2026-11-20T12:00:00+02:00,8,ok,99,fuel,7,0,0,no,desktop,,0.7",
    "p3,fraud_detector,v1,2026-11-20 10:30:00,20,error,5,travel,1,1,3.5,1,tablet,,",
]


def _csv(rows: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


@pytest.fixture()
def good_csv(tmp_path: Path) -> Path:
    return _write(tmp_path, "good.csv", _csv(GOOD_ROWS))


def test_csv_is_typed_to_the_raw_contract(good_csv: Path, fraud) -> None:
    df = read_drop(good_csv, ".csv", fraud, "inferences", KEY)
    assert df.schema == raw_contract_schema(fraud, "inferences")
    assert df["timestamp"].to_list() == [
        dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC),  # +02:00 converted to UTC
        dt.datetime(2026, 11, 20, 10, 30, tzinfo=UTC),  # naive means UTC
    ]
    assert df["is_international"].to_list() == [True, False, True]
    assert df["account_age_days"].to_list() == [100, 7, 1]
    assert df["score"].to_list() == [0.1, 0.7, None]
    assert df["_row_number"].to_list() == [1, 2, 3]
    assert df["_source_file"].unique().to_list() == [KEY]
    assert df["_ingest_errors"].to_list() == [[], [], []]


def test_every_format_gives_the_same_frame(tmp_path: Path, good_csv: Path, fraud) -> None:
    expected = read_drop(good_csv, ".csv", fraud, "inferences", KEY)
    as_text = pl.read_csv(good_csv, infer_schema=False)
    natively_typed = expected.drop("_source_file", "_row_number", "_ingest_errors")
    natively_typed.write_parquet(tmp_path / "d.parquet")
    as_text.write_ndjson(tmp_path / "d.jsonl")
    _write(tmp_path, "d.csv.gz", gzip.compress(good_csv.read_bytes()))
    _write(tmp_path, "d.jsonl.gz", gzip.compress((tmp_path / "d.jsonl").read_bytes()))
    for name, ext in [("d.parquet", ".parquet"), ("d.jsonl", ".jsonl"), ("d.csv.gz", ".csv.gz"), ("d.jsonl.gz", ".jsonl.gz")]:
        got = read_drop(tmp_path / name, ext, fraud, "inferences", KEY)
        assert got.equals(expected), name


def test_values_that_do_not_coerce_are_nulled_and_recorded(tmp_path: Path, fraud) -> None:
    rows = [
        "p1,fraud_detector,v1,yesterday,abc,OK,abc,grocery,2.5,3.0,1,maybe,mobile,,0.5",
        "p2,fraud_detector,v1,,1,weird,1,fuel,2,3,1,no,mobile,,0.5",
        ",fraud_detector,v1,1763632800,1,error,1,fuel,2,3,1,0,mobile,,",
    ]
    df = read_drop(_write(tmp_path, "bad.csv", _csv(rows)), ".csv", fraud, "inferences", KEY)
    errors = df["_ingest_errors"].to_list()
    assert errors[0] == [
        "timestamp: 'yesterday' is not a valid timestamp (ISO-8601 or epoch seconds/millis)",
        "latency_ms: 'abc' is not a float",
        "amount: 'abc' is not a float",
        "account_age_days: '2.5' is not an int",
        "is_international: 'maybe' is not a boolean (true/false/1/0/yes/no)",
    ]
    assert errors[1] == ["timestamp: missing", "status: 'weird' is not one of ok, error"]
    assert errors[2] == ["prediction_id: missing"]
    first = df.row(0, named=True)
    assert first["timestamp"] is None and first["amount"] is None and first["account_age_days"] is None
    assert first["status"] == "ok"  # case is normalised, not an error
    assert first["num_tx_24h"] == 3  # "3.0" is an integral value
    assert df["timestamp"][2] == dt.datetime(2025, 11, 20, 10, 0, tzinfo=UTC)  # epoch seconds


def test_timestamp_and_boolean_spellings(tmp_path: Path, fraud) -> None:
    spellings = {
        "2026-11-20T10:00:00.250Z": dt.datetime(2026, 11, 20, 10, 0, 0, 250000, tzinfo=UTC),
        "2026-11-20T11:00:00+0100": dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        "2026-11-20T10:00": dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        "2026-11-20": dt.datetime(2026, 11, 20, tzinfo=UTC),
        "1763632800": dt.datetime(2025, 11, 20, 10, 0, tzinfo=UTC),
        "1763632800500": dt.datetime(2025, 11, 20, 10, 0, 0, 500000, tzinfo=UTC),
    }
    bools = ["true", "FALSE", "Yes", "no", "1", "0"]
    rows = [
        f"p{i},fraud_detector,v1,{ts},1,ok,1,fuel,2,3,1,{bools[i]},mobile,,0.5" for i, ts in enumerate(spellings)
    ]
    df = read_drop(_write(tmp_path, "ts.csv", _csv(rows)), ".csv", fraud, "inferences", KEY)
    assert df["timestamp"].to_list() == list(spellings.values())
    assert df["is_international"].to_list() == [True, False, True, False, True, False]
    assert df["_ingest_errors"].list.len().sum() == 0


def test_missing_and_extra_columns(tmp_path: Path, fraud) -> None:
    header = HEADER.replace(",status", "").replace(",customer_email", "") + ",debug_blob"
    rows = ["p1,fraud_detector,v1,2026-11-20T10:00:00Z,12.5,10.5,grocery,100,3,1.5,true,mobile,0.1,xyz"]
    df, report = read_drop_with_report(_write(tmp_path, "m.csv", _csv(rows, header)), ".csv", fraud, "inferences", KEY)
    assert report.extra_columns == ["debug_blob"]
    assert report.missing_columns == ["status", "customer_email"]
    # status is required: every row says so. customer_email is a nullable feature: filled with nulls.
    assert df["_ingest_errors"].to_list() == [["column status missing from file"]]
    assert df["customer_email"].to_list() == [None]
    assert "debug_blob" not in df.columns
    assert report.rows == 1 and report.rows_with_errors == 1


def test_natively_typed_parquet(tmp_path: Path, fraud) -> None:
    paris = pl.Series([dt.datetime(2026, 11, 20, 11, 0)] * 3).dt.replace_time_zone("Europe/Paris")
    frame = pl.DataFrame(
        {
            "prediction_id": ["a", "b", "c"],
            "model_id": ["fraud_detector"] * 3,
            "model_version": ["v1"] * 3,
            "timestamp": paris,
            "latency_ms": [1, 2, 3],  # ints into a float column
            "status": ["ok", "ok", "ok"],
            "amount": [1.0, float("nan"), 3.0],
            "merchant_category": ["fuel"] * 3,
            "account_age_days": [1.0, 2.5, 3.0],  # floats into an int column
            "num_tx_24h": [1, 2, 3],
            "distance_from_home_km": [0.5, 0.5, 0.5],
            "is_international": [1, 0, 7],
            "device_type": ["mobile"] * 3,
            "score": [0.1, 0.2, 0.3],
        }
    )
    frame.write_parquet(tmp_path / "n.parquet")
    df = read_drop(tmp_path / "n.parquet", ".parquet", fraud, "inferences", KEY)
    assert df.schema == raw_contract_schema(fraud, "inferences")
    assert df["timestamp"].to_list() == [dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC)] * 3
    assert df["amount"].to_list() == [1.0, None, 3.0]  # NaN is a missing value
    assert df["account_age_days"].to_list() == [1, None, 3]
    assert df["is_international"].to_list() == [True, False, None]
    assert df["_ingest_errors"].to_list() == [
        [],
        ["account_age_days: 2.5 is not an int"],
        ["is_international: 7 is not a boolean (true/false/1/0/yes/no)"],
    ]


def test_binary_labels(tmp_path: Path, fraud) -> None:
    text = "prediction_id,is_fraud,label_timestamp,note\np1,1,2026-11-21T00:00:00Z,x\np2,false,2026-11-21,y\np3,2,,z\n"
    df, report = read_drop_with_report(_write(tmp_path, "l.csv", text), ".csv", fraud, "labels", "labels/fraud_detector/dt=2026-11-20/l.csv")
    assert df.schema == raw_contract_schema(fraud, "labels")
    assert df.columns[:3] == ["prediction_id", "is_fraud", "label_timestamp"]
    assert df["is_fraud"].to_list() == [1.0, 0.0, None]
    assert df["_ingest_errors"].to_list() == [[], [], ["is_fraud: '2' is not 0 or 1", "label_timestamp: missing"]]
    assert report.extra_columns == ["note"]


def test_multiclass_and_regression_types(tmp_path: Path, intent, demand) -> None:
    text = '{"prediction_id": "a", "label": "buy", "label_timestamp": 1763632800000}\n'
    labels = read_drop(_write(tmp_path, "l.jsonl", text), ".jsonl", intent, "labels", "k")
    assert labels.schema["label"] == pl.Utf8 and labels["label"].to_list() == ["buy"]
    rows = (
        '{"prediction_id": "a", "model_id": "intent_classifier", "model_version": "3", "timestamp": "2026-11-20T00:00:00Z",'
        ' "latency_ms": 3, "status": "ok", "n_tokens": 12, "lang": "en", "predicted_intent": "help"}\n'
    )
    preds = read_drop(_write(tmp_path, "p.jsonl", rows), ".jsonl", intent, "inferences", "k")
    assert preds.schema["predicted_intent"] == pl.Utf8 and preds["n_tokens"].to_list() == [12]
    assert preds["_ingest_errors"].to_list() == [[]]
    reg = read_drop(_write(tmp_path, "r.csv", "prediction_id,units_sold,label_timestamp\nq,17.5,2026-11-21\n"), ".csv", demand, "labels", "k")
    assert reg["units_sold"].to_list() == [17.5]


def test_jsonl_tolerates_mixed_types_and_varying_keys(tmp_path: Path, fraud) -> None:
    lines = [
        '{"prediction_id": "a", "amount": 1.5, "timestamp": "2026-11-20T00:00:00Z", "extra": 1}',
        "",
        '{"prediction_id": "b", "amount": "oops", "timestamp": 1763596800}',
    ]
    df, report = read_drop_with_report(_write(tmp_path, "m.jsonl", "\n".join(lines) + "\n"), ".jsonl", fraud, "inferences", "k")
    assert df["amount"].to_list() == [1.5, None]
    assert "amount: 'oops' is not a float" in df["_ingest_errors"][1].to_list()
    assert report.extra_columns == ["extra"]
    assert "status" in report.missing_columns


def test_batches_cover_the_file_in_order(tmp_path: Path, good_csv: Path, fraud) -> None:
    text = _csv(GOOD_ROWS * 1000)
    path = _write(tmp_path, "big.csv", text)
    whole = read_drop(path, ".csv", fraud, "inferences", KEY)
    batches = list(iter_drop_batches(path, ".csv", fraud, "inferences", KEY, batch_rows=700))
    assert len(batches) > 1
    assert pl.concat(batches).equals(whole)
    assert whole["_row_number"].to_list() == list(range(1, 3001))


# --- files that cannot be read at all -------------------------------------------------------------


def _reason(path: Path, ext: str, spec) -> str:
    with pytest.raises(UnreadableDrop) as info:
        read_drop(path, ext, spec, "inferences", KEY)
    return info.value.reason


def test_zero_byte_file(tmp_path: Path, fraud) -> None:
    for ext in (".parquet", ".csv", ".jsonl", ".csv.gz"):
        assert _reason(_write(tmp_path, "empty" + ext, b""), ext, fraud) == "file is empty (0 bytes)"


def test_truncated_and_garbage_parquet(tmp_path: Path, good_csv: Path, fraud) -> None:
    read_drop(good_csv, ".csv", fraud, "inferences", KEY).write_parquet(tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    assert "truncated" in _reason(_write(tmp_path, "t.parquet", data[: len(data) // 2]), ".parquet", fraud)
    assert "not a Parquet file" in _reason(_write(tmp_path, "g.parquet", b"prediction_id,x\n1,2\n"), ".parquet", fraud)
    corrupt = bytearray(data)
    corrupt[200:400] = b"\x00" * 200  # damage data pages, keep both magic markers
    assert "Parquet" in _reason(_write(tmp_path, "c.parquet", bytes(corrupt)), ".parquet", fraud)


def test_invalid_utf8_csv_names_the_offset(tmp_path: Path, fraud) -> None:
    good = _csv(GOOD_ROWS).encode()
    cut = good.index(b"fuel")
    path = _write(tmp_path, "latin1.csv", good[:cut] + "Café".encode("latin-1") + good[cut:])
    reason = _reason(path, ".csv", fraud)
    assert reason == f"file is not valid UTF-8: first invalid byte at offset {cut + 3} (line 3); re-export as UTF-8"
    gz = _write(tmp_path, "latin1.csv.gz", gzip.compress(path.read_bytes()))
    assert _reason(gz, ".csv.gz", fraud) == reason


def test_malformed_jsonl_names_the_line(tmp_path: Path, fraud) -> None:
    text = '{"prediction_id": "a"}\n{"prediction_id": "b"\n{"prediction_id": "c"}\n'
    assert _reason(_write(tmp_path, "m.jsonl", text), ".jsonl", fraud).startswith(
        "malformed JSON Lines file: line 2 is not valid JSON"
    )
    not_object = '{"prediction_id": "a"}\n[1, 2]\n'
    assert "line 2 is a JSON list" in _reason(_write(tmp_path, "l.jsonl", not_object), ".jsonl", fraud)
    assert "no records" in _reason(_write(tmp_path, "b.jsonl", "\n\n"), ".jsonl", fraud)


def test_csv_without_header_or_with_ragged_rows(tmp_path: Path, fraud) -> None:
    no_header = "\n".join(GOOD_ROWS) + "\n"
    assert "no header row" in _reason(_write(tmp_path, "nh.csv", no_header), ".csv", fraud)
    ragged = _csv([*GOOD_ROWS, GOOD_ROWS[0] + ",extra,fields"])
    assert "line 5 has 17 fields but the header has 15" in _reason(_write(tmp_path, "r.csv", ragged), ".csv", fraud)


def test_truncated_gzip(tmp_path: Path, good_csv: Path, fraud) -> None:
    data = gzip.compress(good_csv.read_bytes())
    assert "truncated" in _reason(_write(tmp_path, "t.csv.gz", data[: len(data) // 2]), ".csv.gz", fraud)
    assert "not a valid gzip" in _reason(_write(tmp_path, "n.csv.gz", b"plain text"), ".csv.gz", fraud)


def test_unknown_extension_is_rejected_by_the_key_contract() -> None:
    with pytest.raises(BadDropKey) as info:
        parse_drop_key("inferences/fraud_detector/dt=2026-11-20/batch.xlsx")
    assert "unsupported file type" in info.value.reason


def test_nested_parquet_column_is_an_error_not_a_crash(tmp_path: Path, fraud) -> None:
    pl.DataFrame({"prediction_id": ["a"], "amount": [[1.0, 2.0]], "merchant_category": [{"x": 1}]}).write_parquet(
        tmp_path / "nested.parquet"
    )
    df = read_drop(tmp_path / "nested.parquet", ".parquet", fraud, "inferences", KEY)
    errors = df["_ingest_errors"][0].to_list()
    assert "amount: a List value is not a float" in errors
    assert "merchant_category: a Struct value is not a string" in errors
    assert df["amount"].to_list() == [None]


def test_extra_columns_named_like_lineage_do_not_collide(tmp_path: Path, fraud) -> None:
    text = "prediction_id,_row_number,_ingest_errors\na,99,x\n"
    df, report = read_drop_with_report(_write(tmp_path, "c.csv", text), ".csv", fraud, "labels", "k")
    assert df["_row_number"].to_list() == [1]
    assert report.extra_columns == ["_row_number", "_ingest_errors"]
