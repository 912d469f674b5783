"""Large batches: GX on a sample for row-level rules, exact counts from polars, labelled as such.

The reference is the same batch validated with GX on every row: the sampled run must report the
same counts, verdicts and examples, and say (per expectation and per check) what GX evaluated.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from infranaut_pipelines.registry import parse_registry
from infranaut_pipelines.validation import build_suite, evidence, validate_batch
from tests.support.synthetic import raw_batch

DAY = dt.date(2026, 11, 5)
SPEC = parse_registry(
    """
models:
  - id: m1
    task: binary_classification
    features:
      - {name: amount, type: float, min: 0, max: 50000}
      - {name: shop, type: category, values: [a, b, c]}
      - {name: channel, type: category, values: [web, app], allow_new_values: false}
    prediction: {column: score}
    validation:
      max_quarantine_share: 0.5
      rules:
        - {name: amount_mostly_small, expectation: expect_column_values_to_be_between, column: amount,
           kwargs: {max_value: 30000, mostly: 0.6}, severity: warning}
        - {name: amount_never_tiny, expectation: expect_column_values_to_be_between, column: amount,
           kwargs: {min_value: 1, mostly: 0.999}, severity: warning}
        - {name: score_mean, expectation: expect_column_mean_to_be_between, column: score,
           kwargs: {min_value: 0.0, max_value: 0.6}, severity: warning}
"""
).model("m1")
N = 6000
KEYS = ("success", "unexpected_count", "unexpected_percent", "partial_unexpected", "observed_value")


def _batch() -> pl.DataFrame:
    rn = pl.col("_row_number")
    df = raw_batch(SPEC, DAY, N, seed=7).with_columns(pl.col("amount").cast(pl.Utf8))
    return df.with_columns(
        pl.when(rn % 97 == 0).then(pl.lit("73000.5")).when(rn % 501 == 0).then(pl.lit("abc"))
        .when(rn % 401 == 0).then(pl.lit("0.5")).otherwise(pl.col("amount")).alias("amount"),
        pl.when(rn % 250 == 3).then(pl.lit("dup")).when(rn.is_in([10, 4000])).then(pl.lit("pair"))
        .otherwise(pl.col("prediction_id")).alias("prediction_id"),
        pl.when(rn % 333 == 0).then(pl.lit("ok")).otherwise(pl.col("status")).alias("status"),
        pl.when(rn % 333 == 0).then(None).otherwise(pl.col("score")).alias("score"),
        pl.when(rn % 123 == 0).then(pl.lit("d")).when(rn % 777 == 0).then(pl.lit("<!channel>"))
        .otherwise(pl.col("shop")).alias("shop"),
        pl.when(rn % 211 == 0).then(pl.lit("fax")).otherwise(pl.col("channel")).alias("channel"),
        pl.when(rn % 1500 == 0).then(pl.col("timestamp") + pl.duration(days=1)).otherwise(pl.col("timestamp")).alias("timestamp"),
        pl.when(rn % 900 == 0).then(pl.lit(["latency_ms: 'x' is not a float"])).otherwise(pl.col("_ingest_errors"))
        .alias("_ingest_errors"),
    )


@pytest.fixture(scope="module")
def runs() -> tuple[pl.DataFrame, object, object]:
    raw = _batch()
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv(evidence.FULL_MAX_ROWS_ENV, str(N))  # exactly N rows: GX on every row
        full = validate_batch(raw, SPEC, DAY)
        mp.setenv(evidence.FULL_MAX_ROWS_ENV, str(N - 1))
        mp.setattr(evidence, "SAMPLE_ROWS", 300)  # one row in 20, plus the evidence rows
        sampled = validate_batch(raw, SPEC, DAY)
    finally:
        mp.undo()
    return raw, full, sampled


def test_full_mode_gx_agrees_with_polars(runs) -> None:
    _, full, _ = runs
    assert full.metrics["gx"]["mode"] == "full" and full.metrics["gx"]["rows_evaluated"] == N
    entries = [e for c in full.checks.values() for e in c.expectations]
    assert len(entries) == len(build_suite(SPEC).suite.expectations)
    for e in entries:
        assert e["gx_rows_evaluated"] == N and e["counts_from"] == "great_expectations, all rows"
        assert e.get("gx_agrees_with_polars", True), e
    assert full.metrics["gx"]["disagreements"] == []
    # the batch really exercises every kind of failure
    failing = {e["rule"] for e in entries if not e["success"]}
    assert {"schema.coercion", "amount.max", "score.not_null", "shop.values", "channel.values",
            "prediction_id.unique", "timestamp.in_day", "amount_never_tiny"} <= failing
    assert "amount_mostly_small" not in failing  # 1 % above 30000 is within mostly=0.6


def test_sampled_run_reports_full_run_figures(runs) -> None:
    raw, full, sampled = runs
    assert sampled.metrics["gx"]["mode"] == "sampled"
    assert sampled.metrics["gx"]["sample_stride"] == 20 and sampled.metrics["gx"]["disagreements"] == []
    assert sampled.quarantine.drop("quarantined_at").equals(full.quarantine.drop("quarantined_at"))
    assert sampled.valid.equals(full.valid) and sampled.quality_score == full.quality_score
    for name, check in full.checks.items():
        other = sampled.checks[name]
        assert (other.passed, other.severity) == (check.passed, check.severity), name
        assert len(other.expectations) == len(check.expectations)
        for a, b in zip(check.expectations, other.expectations):
            assert a["rule"] == b["rule"]
            assert {k: a.get(k) for k in KEYS} == {k: b.get(k) for k in KEYS}, a["rule"]


def test_sampled_evidence_is_labelled(runs) -> None:
    raw, full, sampled = runs
    n_eval = sampled.metrics["gx"]["rows_evaluated"]
    # the stride part (300 rows) + at most EVIDENCE_ROWS per rule and per duplicated value
    assert 300 <= n_eval <= 300 + 30 * evidence.EVIDENCE_ROWS
    for name in ("values_in_range", "unique_prediction_id", "schema_conforms"):
        meta = sampled.checks[name].metadata
        assert meta["gx_rows_evaluated"] == n_eval
        assert f"sample of {n_eval:,} rows" in str(meta["gx_evidence"]) and f"all {N:,} rows" in str(meta["gx_evidence"])
    assert full.checks["values_in_range"].metadata["gx_evidence"] == "GX ran on all rows"
    by_rule = {e["rule"]: e for c in sampled.checks.values() for e in c.expectations}
    uniq = by_rule["prediction_id.unique"]
    # exact: 24 'dup' copies + 2 'pair' copies over the whole batch; GX saw only the sampled copies
    assert uniq["unexpected_count"] == 26 and uniq["counts_from"] == "polars, all rows"
    assert 0 < uniq["gx_unexpected_count"] < 26 and uniq["gx_rows_evaluated"] == n_eval
    assert uniq["gx_agrees_with_polars"]
    assert by_rule["amount.max"]["unexpected_count"] == raw.filter(pl.col("amount") == "73000.5").height
    mean = by_rule["score_mean"]  # dataset-level: never sampled
    assert mean["gx_rows_evaluated"] == N and mean["counts_from"] == "great_expectations, all rows"
    assert sampled.checks["custom_rules"].metadata["gx_rows_evaluated"] == n_eval  # min over its expectations
    assert by_rule["shop.values"]["partial_unexpected"] == ["d"] * 5 and by_rule["channel.values"]["partial_unexpected"][0] == "fax"


def test_sample_stays_bounded_when_one_id_repeats_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = raw_batch(SPEC, DAY, 4000, seed=2).with_columns(pl.lit("same").alias("prediction_id"))
    monkeypatch.setenv(evidence.FULL_MAX_ROWS_ENV, "1000")
    monkeypatch.setattr(evidence, "SAMPLE_ROWS", 200)
    out = validate_batch(raw, SPEC, DAY)
    uniq = out.checks["unique_prediction_id"].expectations[0]
    assert uniq["unexpected_count"] == 4000 and uniq["unexpected_percent"] == 100.0 and not uniq["success"]
    assert out.quarantine.height == 3999 and out.metrics["gx"]["rows_evaluated"] <= 200 + evidence.EVIDENCE_ROWS
    assert uniq["gx_agrees_with_polars"] and uniq["partial_unexpected"] == ["same"] * 5
