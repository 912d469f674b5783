"""Landing keys follow the contract, and no key can escape the store's root."""

import datetime as dt
from pathlib import Path

import pytest

from infranaut_pipelines.ingest.contract import BadDropKey, parse_drop_key
from infranaut_pipelines.storage import LocalStore, UnsafeKeyError


def test_parse_good_key() -> None:
    k = parse_drop_key("inferences/fraud_detector/dt=2026-11-05/part-000.csv.gz")
    assert (k.kind, k.model_id, k.date, k.extension) == ("inferences", "fraud_detector", dt.date(2026, 11, 5), ".csv.gz")


@pytest.mark.parametrize(
    "key, reason",
    [
        ("inferences/fraud_detector/2026-11-05/a.parquet", "dt="),
        ("inferences/fraud_detector/dt=2026-13-05/a.parquet", "invalid date"),
        ("inferences/fraud_detector/dt=2026-11-05/a.xlsx", "unsupported file type"),
        ("inferences/../dt=2026-11-05/a.parquet", "'..'"),
        ("/etc/passwd", "absolute"),
        ("predictions/fraud_detector/dt=2026-11-05/a.parquet", "unknown drop kind"),
    ],
)
def test_bad_keys_have_reasons(key: str, reason: str) -> None:
    with pytest.raises(BadDropKey) as err:
        parse_drop_key(key)
    assert reason in err.value.reason


def test_local_store_round_trip_and_listing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.write_bytes("a/b/c.txt", b"hello")
    store.write_bytes("a/d.txt", b"x")
    assert [o.key for o in store.list("a")] == ["a/b/c.txt", "a/d.txt"]
    info = store.head("a/b/c.txt")
    assert info is not None and info.size == 5 and info.last_modified.tzinfo is not None
    assert store.read_bytes("a/b/c.txt") == b"hello"
    assert store.delete_prefix("a/b") == 1 and store.head("a/b/c.txt") is None


@pytest.mark.parametrize("key", ["../escape.txt", "a/../../escape.txt", "/abs.txt", "a/./b"])
def test_local_store_refuses_escaping_keys(tmp_path: Path, key: str) -> None:
    store = LocalStore(tmp_path / "root")
    with pytest.raises(UnsafeKeyError):
        store.write_bytes(key, b"x")
    assert not (tmp_path / "escape.txt").exists()
