"""The real ``infranaut drift`` command's exit codes, and multivariate drift over categorical features."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from infranaut_pipelines.drift import BaselineSketch, ColumnSpec, build_sketch, compare

INFRANAUT = Path(sys.executable).with_name("infranaut")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(INFRANAUT), "drift", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(11)
    n = 800
    pl.DataFrame({"x": rng.normal(size=n), "g": rng.choice(list("abc"), n)}).write_parquet(d / "ref.parquet")
    pl.DataFrame({"x": rng.normal(size=n), "g": rng.choice(list("abc"), n)}).write_csv(d / "same.csv")
    pl.DataFrame({"x": rng.normal(1, 1, n), "g": rng.choice(list("abc"), n, p=[0.6, 0.2, 0.2])}) \
        .write_parquet(d / "drift.parquet")
    (d / "bad.parquet").write_bytes(b"not a parquet file")
    (d / "data.txt.gz").write_bytes(b"")
    pl.DataFrame({"x": [0.5], "g": ["a"]}).write_csv(d / "one.csv")
    return {p.name: str(p) for p in d.iterdir()}


def test_exit_0_without_drift(files) -> None:
    r = _run(files["ref.parquet"], files["same.csv"])
    assert r.returncode == 0, r.stderr
    assert "dataset drift: no" in r.stdout


def test_exit_1_on_dataset_drift(files, tmp_path) -> None:
    out = tmp_path / "o.json"
    r = _run(files["ref.parquet"], files["drift.parquet"], "--json", str(out))
    assert r.returncode == 1, r.stderr
    assert "dataset drift: YES" in r.stdout
    assert json.loads(out.read_text())["result"]["dataset_drift"] is True


@pytest.mark.parametrize("args", [
    ["bad.parquet", "same.csv"],            # unreadable file
    ["ref.parquet", "missing.parquet"],     # no such file
    ["ref.parquet", "data.txt.gz"],         # unsupported format
    ["ref.parquet", "same.csv", "--columns", "nope"],
    ["ref.parquet", "same.csv", "--drift-share", "abc"],
    ["ref.parquet"],                        # missing argument
], ids=["unreadable", "missing", "format", "unknown-column", "bad-number", "missing-arg"])
def test_exit_2_on_errors(files, tmp_path, args) -> None:
    paths = [files.get(a, str(tmp_path / a)) if a.endswith((".parquet", ".csv", ".gz")) else a for a in args]
    r = _run(*paths)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "error" in r.stderr


def test_a_column_missing_from_current_is_reported_and_the_others_compared(files, tmp_path) -> None:
    cur = tmp_path / "only_x.parquet"
    pl.read_parquet(files["ref.parquet"]).select(pl.col("x") + 2).write_parquet(cur)
    r = _run(files["ref.parquet"], str(cur))
    assert r.returncode == 1, r.stderr  # x drifted: 1 of 1 scored column
    assert "error: column missing from current data" in r.stdout
    assert "not compared (errors): g" in r.stderr


def test_one_row_current_is_not_scored(files) -> None:
    r = _run(files["ref.parquet"], files["one.csv"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("too few rows (1 usable current values, minimum 30)") == 2
    ev = _run(files["ref.parquet"], files["one.csv"], "--evidently-compatible")
    assert ev.returncode in (0, 1) and "too few rows (" not in ev.stdout


# -- multivariate ---------------------------------------------------------------------------------

SPECS = [ColumnSpec("a", "numeric"), ColumnSpec("b", "numeric"), ColumnSpec("c", "categorical"),
         ColumnSpec("flag", "categorical")]


def _frame(n: int, rng: np.random.Generator, shift: bool = False) -> pl.DataFrame:
    a = rng.normal(size=n)
    b = a + rng.normal(scale=0.5, size=n)
    # only the categorical features move: a category mix change, and the boolean tied to it
    c = rng.choice(list("wxyz"), n, p=[0.25, 0.25, 0.25, 0.25] if shift else [0.4, 0.3, 0.2, 0.1])
    flag = rng.random(n) < np.where(c == "w", 0.8, 0.2)
    return pl.DataFrame({"a": a, "b": b, "c": c, "flag": flag})


@pytest.fixture(scope="module")
def mv_sketch() -> BaselineSketch:
    return build_sketch(_frame(10_000, np.random.default_rng(21)), SPECS)


def test_multivariate_encodes_categoricals(mv_sketch) -> None:
    m = mv_sketch.multivariate
    assert m["columns"] == ["a", "b", "c", "flag"]
    assert m["n_features"] == 2 + (4 + 1) + (2 + 1)  # one-hot plus an "other" column per categorical


def test_multivariate_flags_a_categorical_only_shift(mv_sketch) -> None:
    rng = np.random.default_rng(22)
    for _ in range(3):
        res = compare(mv_sketch, _frame(2000, rng, shift=True), SPECS)
        assert not res.column("a").drifted and not res.column("b").drifted
        assert res.multivariate.drifted and res.multivariate.current_error > res.multivariate.upper
        assert res.multivariate.categorical_columns == ["c", "flag"]


def test_multivariate_quiet_without_shift(mv_sketch) -> None:
    rng = np.random.default_rng(23)
    for _ in range(10):
        res = compare(mv_sketch, _frame(2000, rng), SPECS)
        assert not res.multivariate.drifted and res.multivariate.status == "scored"


def test_multivariate_too_few_rows(mv_sketch) -> None:
    res = compare(mv_sketch, _frame(5, np.random.default_rng(24)), SPECS)
    assert res.multivariate.status == "too few rows" and not res.multivariate.drifted
    assert res.multivariate.current_error is None


def test_format_1_baseline_still_loads_numeric_only() -> None:
    # a sketch as the previous code wrote it: format 1, multivariate model without "encoding"
    rng = np.random.default_rng(25)
    ref = _frame(5000, rng)
    num = [ColumnSpec("a", "numeric"), ColumnSpec("b", "numeric"), ColumnSpec("c", "categorical")]
    new = json.loads(build_sketch(ref.select("a", "b"), num[:2]).to_json())
    old = json.loads(build_sketch(ref, num).to_json())
    old["format"] = 1
    old["multivariate"] = {k: v for k, v in new["multivariate"].items() if k not in ("encoding", "n_features")}
    text = json.dumps(old, sort_keys=True, separators=(",", ":"))
    sk = BaselineSketch.from_json(text)
    assert sk.to_json() == text  # re-serialising keeps the bytes, so the baseline version is unchanged
    res = compare(sk, _frame(2000, rng), num)
    assert res.multivariate.columns == ["a", "b"] and res.multivariate.status == "scored"
    assert "rebuild the baseline" in res.multivariate.note
    old["format"] = 99
    with pytest.raises(ValueError, match="rebuild the baseline"):
        BaselineSketch.from_json(json.dumps(old))
