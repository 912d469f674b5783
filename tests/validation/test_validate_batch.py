from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from infranaut_pipelines.registry import load_registry, parse_registry
from infranaut_pipelines.validation import CHECKS, check_rules, escape_display, validate_batch
from tests.support.synthetic import raw_batch

DAY = dt.date(2026, 11, 5)
SPEC = load_registry().model("fraud_detector")


def _set(df: pl.DataFrame, row: int, col: str, value: object) -> pl.DataFrame:
    return df.with_columns(
        pl.when(pl.col("_row_number") == row).then(pl.lit(value, dtype=df.schema[col])).otherwise(pl.col(col)).alias(col)
    )


@pytest.fixture(scope="module")
def bad_batch() -> pl.DataFrame:
    df = raw_batch(SPEC, DAY, 2000, seed=3)
    df = _set(df, 3, "amount", 73000.0)
    df = _set(df, 5, "prediction_id", "dup-1")
    df = _set(df, 6, "prediction_id", "dup-1")
    df = _set(df, 7, "_ingest_errors", ["amount: 'abc' is not a float"])
    df = _set(df, 8, "timestamp", dt.datetime(2026, 11, 6, 1, tzinfo=dt.timezone.utc))
    df = _set(df, 9, "status", "ok")
    df = _set(df, 9, "score", None)
    df = _set(df, 10, "model_version", None)
    df = _set(df, 11, "device_type", "toaster")  # allow_new_values defaults to True: warning only
    df = _set(df, 12, "score", 1.7)
    df = _set(df, 13, "amount", -1.0)
    df = _set(df, 13, "num_tx_24h", 9999)
    return df


def test_every_bad_row_is_quarantined_with_its_reasons(bad_batch: pl.DataFrame) -> None:
    out = validate_batch(bad_batch, SPEC, DAY)
    q = {r["_row_number"]: r["quarantine_reasons"] for r in out.quarantine.to_dicts()}
    assert q[3] == ["amount: 73000.0 above max 50000"]
    assert q[6] == ["prediction_id: duplicate"] and 5 not in q  # first occurrence stays valid
    assert q[7] == ["schema: amount: 'abc' is not a float"]
    assert q[8][0].startswith("timestamp: outside 2026-11-05 UTC")
    assert q[9] == ["score: null while status is 'ok'"]
    assert q[10] == ["model_version: null"]
    assert q[12] == ["score: 1.7 above max 1"]
    assert sorted(q[13]) == ["amount: -1.0 below min 0", "num_tx_24h: 9999 above max 500"]
    assert 11 not in q
    assert out.valid.height + out.quarantine.height == bad_batch.height
    assert out.checks["rows_accounted_for"].passed
    assert "_ingest_errors" not in out.valid.columns and "_row_number" in out.valid.columns
    assert out.quarantine.schema["quarantine_reasons"] == pl.List(pl.Utf8)
    assert out.metrics["rows_quarantined"] == len(q) == 8
    # error rows (null prediction) are valid
    assert out.valid.filter(pl.col("status") == "error").height > 0
    assert set(out.checks) == set(CHECKS) - {"volume_anomaly", "null_rate_anomaly", "quarantine_rate_anomaly"}
    assert out.checks["allowed_categories"].severity == "WARN" and not out.checks["allowed_categories"].passed
    assert all(c.passed for n, c in out.checks.items() if n != "allowed_categories")
    assert 0.99 < out.quality_score < 1.0


def test_gx_expectations_report_counts(bad_batch: pl.DataFrame) -> None:
    out = validate_batch(bad_batch, SPEC, DAY)
    rng = {e["rule"]: e for e in out.checks["values_in_range"].expectations}
    assert rng["amount.max"]["unexpected_count"] == 1 and not rng["amount.max"]["success"]
    assert rng["amount.max"]["expectation_type"] == "expect_column_values_to_be_between"
    uniq = out.checks["unique_prediction_id"].expectations[0]
    assert uniq["unexpected_count"] == 2  # GX counts every copy; routing quarantines the later one
    custom = out.checks["custom_rules"].expectations[0]
    assert custom["rule"] == "score_mean_plausible" and custom["success"]


def test_blocking_threshold() -> None:
    df = raw_batch(SPEC, DAY, 1000, seed=4)
    few = df.with_columns(pl.when(pl.col("_row_number") <= 10).then(60000.0).otherwise(pl.col("amount")).alias("amount"))
    many = df.with_columns(pl.when(pl.col("_row_number") <= 100).then(60000.0).otherwise(pl.col("amount")).alias("amount"))
    a, b = validate_batch(few, SPEC, DAY), validate_batch(many, SPEC, DAY)
    assert a.checks["values_in_range"].passed and a.quarantine.height == 10 and a.passed
    c = b.checks["values_in_range"]
    assert not c.passed and c.severity == "ERROR" and c.blocking and b.quarantine.height == 100 and not b.passed


def test_missing_column_and_type_coercion() -> None:
    df = raw_batch(SPEC, DAY, 200, seed=5).drop("device_type")
    df = df.with_columns(pl.col("amount").cast(pl.Utf8))
    df = _set(df, 4, "amount", "abc")
    out = validate_batch(df, SPEC, DAY)
    assert out.quarantine.height == 200 and not out.checks["schema_conforms"].passed
    reasons = out.quarantine.filter(pl.col("_row_number") == 4)["quarantine_reasons"][0].to_list()
    assert "schema: amount: 'abc' is not a float" in reasons and "schema: missing column device_type" in reasons


def test_escaping_and_masking() -> None:
    assert escape_display("<!channel> & <script>") == "&lt;!channel&gt; &amp; &lt;script&gt;"
    assert "@channel" not in escape_display("hi @channel")
    reg = parse_registry(
        """
models:
  - id: m1
    task: binary_classification
    features:
      - {name: email, type: category, sensitive: true, values: [a], allow_new_values: false}
      - {name: shop, type: category, values: [a]}
"""
    )
    spec = reg.model("m1")
    df = raw_batch(spec, DAY, 50, seed=1)
    df = _set(df, 1, "email", "secret@x.io")
    df = _set(df, 2, "shop", "<!channel>")
    out = validate_batch(df, spec, DAY)
    ents = {e["rule"]: e for e in out.checks["allowed_categories"].expectations}
    assert ents["email.values"]["partial_unexpected"] == ["***"]
    assert ents["shop.values"]["partial_unexpected"] == ["&lt;!channel&gt;"]
    assert out.quarantine["quarantine_reasons"][0].to_list() == ["email: '***' not in allowed values"]


@pytest.mark.parametrize(
    "rule, needle",
    [
        ("{name: r1, expectation: expect_nonsense, column: score}", "unknown Great Expectations expectation"),
        ("{name: r1, expectation: expect_column_values_to_be_in_set, column: score}", "value_set"),
        ("{name: r1, expectation: expect_column_mean_to_be_between, column: nope, kwargs: {min_value: 0}}", "'nope'"),
    ],
)
def test_malformed_rule_names_model_and_rule(rule: str, needle: str) -> None:
    reg = parse_registry(
        f"""
models:
  - id: bad_model
    task: binary_classification
    features: [{{name: x, type: float}}]
    prediction: {{column: score}}
    validation: {{rules: [{rule}]}}
"""
    )
    with pytest.raises(ValueError) as exc:
        check_rules(reg)
    assert "model 'bad_model', rule 'r1'" in str(exc.value) and needle in str(exc.value)


def test_shipped_registry_rules_load() -> None:
    check_rules(load_registry())
