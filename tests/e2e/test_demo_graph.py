"""The whole graph on the demo data: every asset, every partition, and the numbers add up."""

import polars as pl
import pytest

from infranaut_pipelines.demo import DRIFT_EPISODES
from infranaut_pipelines.partitions import partition_key
from infranaut_pipelines.resources.io_manager import lake_key, read_frame
from infranaut_pipelines.warehouse import Warehouse

from .conftest import DemoRun

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]

PARTITIONED_ASSETS = [
    "raw_inferences", "raw_labels", "validated_inferences", "quarantined_inferences", "validated_labels",
    "quarantined_labels", "hourly_model_metrics", "daily_model_metrics", "model_metrics", "model_features",
    "drift_report", "alerts",
]


def _warehouse(run: DemoRun) -> Warehouse:
    return run.defs.resources["warehouse"].get_warehouse()  # type: ignore[union-attr]


def test_every_run_succeeded(demo_run: DemoRun) -> None:
    assert demo_run.stats["failed"] == 0
    assert demo_run.stats["runs"] == 2 * (3 + 1 + len(demo_run.days))


@pytest.mark.parametrize("asset", PARTITIONED_ASSETS)
def test_every_asset_materialized_for_every_partition(demo_run: DemoRun, asset: str) -> None:
    import dagster as dg

    done = {str(k) for k in demo_run.instance.get_materialized_partitions(dg.AssetKey(asset))}
    expected = {str(partition_key(d, m)) for d in demo_run.days for m in demo_run.registry.model_ids}
    assert expected <= done


def test_baseline_materialized_per_model(demo_run: DemoRun) -> None:
    import dagster as dg

    done = demo_run.instance.get_materialized_partitions(dg.AssetKey("drift_baseline"))
    assert set(done) == set(demo_run.registry.model_ids)


def test_raw_rows_are_validated_or_quarantined(demo_run: DemoRun) -> None:
    lake = demo_run.defs.resources["lake"]
    for model in demo_run.registry.model_ids:
        for day in demo_run.days:
            key = partition_key(day, model)
            raw = read_frame(lake, lake_key("raw_inferences", key))
            valid = read_frame(lake, lake_key("validated_inferences", key))
            quarantined = read_frame(lake, lake_key("quarantined_inferences", key))
            assert raw.height == demo_run.manifest.rows[model][day.isoformat()]
            assert raw.height == valid.height + quarantined.height, (model, day)
            # Every bad row the generator planted is caught, nothing more than a handful besides.
            planted = demo_run.manifest.bad_total(model, day)
            assert planted <= quarantined.height <= planted + 2, (model, day)


def test_drifted_day_names_exactly_the_shifted_features(demo_run: DemoRun) -> None:
    wh = _warehouse(demo_run)
    for model, episode in DRIFT_EPISODES.items():
        drift_day = demo_run.days[episode.start_day_index]
        rows = wh.query(
            "SELECT column_name FROM drift_results WHERE model_id = :m AND partition_date = :d "
            "AND role = 'feature' AND drifted",
            {"m": model, "d": drift_day},
        )
        assert set(rows["column_name"].to_list()) == set(episode.features), model
        stable_day = demo_run.days[1]
        stable = wh.query(
            "SELECT COUNT(*) AS n FROM drift_results WHERE model_id = :m AND partition_date = :d "
            "AND role = 'feature' AND drifted",
            {"m": model, "d": stable_day},
        )
        assert stable.item() == 0, model


def test_drift_report_files_exist_and_name_the_features(demo_run: DemoRun) -> None:
    lake = demo_run.defs.resources["lake"].get_store()
    model = "fraud_detector"
    day = demo_run.days[DRIFT_EPISODES[model].start_day_index].isoformat()
    html = lake.read_bytes(f"reports/{model}/{day}/drift_report.html").decode()
    csv = pl.read_csv(lake.read_bytes(f"reports/{model}/{day}/drift_report.csv"))
    assert "amount" in html and "merchant_category" in html
    assert len(html.encode()) < 500_000
    # Standalone: nothing is fetched from elsewhere (no CDN scripts or stylesheets).
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert set(csv.columns) >= {"column", "method", "score", "threshold", "drifted"}


def test_an_alert_fires_for_the_drifted_features(demo_run: DemoRun) -> None:
    wh = _warehouse(demo_run)
    for model, episode in DRIFT_EPISODES.items():
        state = wh.query("SELECT rule, subject, status FROM alert_state WHERE model_id = :m", {"m": model})
        drift_subjects = set(
            state.filter(pl.col("rule").str.contains("drift"))["subject"].to_list()
        )
        assert set(episode.features) & drift_subjects, (model, state)
        outbox = wh.query("SELECT COUNT(*) AS n FROM alert_outbox WHERE model_id = :m", {"m": model}).item()
        assert outbox >= 1
