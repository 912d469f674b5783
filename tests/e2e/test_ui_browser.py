"""What a user sees after the demo: the Dagster webserver's API and pages, and a drift report, in a real browser.

The demo instance (``demo_run``) is served by a real ``dagster-webserver`` subprocess; the GraphQL API it gives
the UI is asserted first (assets, groups, edges, partitions, checks, schedules, sensors, metadata), then headless
Chromium loads the asset graph and a drift report and the test checks what is visible. Screenshots land in
``test-artifacts/ui/``; with ``INFRANAUT_UPDATE_SCREENSHOTS=1`` the two README images in ``docs/images/`` are
refreshed from them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from infranaut_pipelines.demo import DRIFT_EPISODES
from infranaut_pipelines.partitions import partition_key

from .browser import Browser, headless_chromium
from .conftest import DemoRun
from .webserver import REPO_ROOT, Webserver, run_webserver

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]

ARTIFACTS = REPO_ROOT / "test-artifacts" / "ui"
README_IMAGES = REPO_ROOT / "docs" / "images"

GROUPS = {
    "ingestion": {"raw_inferences", "raw_labels"},
    "validation": {"validated_inferences", "quarantined_inferences", "validated_labels", "quarantined_labels"},
    "aggregation": {"hourly_model_metrics", "daily_model_metrics", "model_metrics"},  # the dbt models
    "features": {"model_features"},
    "monitoring": {"drift_baseline", "drift_report"},
    "alerting": {"alerts"},
}
ALL_ASSETS = set().union(*GROUPS.values())
EDGES = [  # (upstream, downstream) as the README's lineage draws them
    ("raw_inferences", "validated_inferences"),
    ("raw_inferences", "quarantined_inferences"),
    ("raw_labels", "validated_labels"),
    ("raw_labels", "quarantined_labels"),
    ("validated_inferences", "hourly_model_metrics"),
    ("validated_inferences", "daily_model_metrics"),
    ("validated_labels", "daily_model_metrics"),
    ("daily_model_metrics", "model_metrics"),
    ("hourly_model_metrics", "model_features"),
    ("validated_inferences", "model_features"),
    ("model_features", "drift_baseline"),
    ("model_features", "drift_report"),
    ("drift_baseline", "drift_report"),
    ("validated_labels", "drift_report"),
    ("drift_report", "alerts"),
]

ASSET_NODES = """
query { assetNodes { assetKey { path } groupName kinds isPartitioned
  dependencyKeys { path } dependedByKeys { path } } }
"""
PARTITIONS = """
query ($keys: [AssetKeyInput!], $partitions: [String!]) {
  assetNodes(assetKeys: $keys) { assetKey { path } partitionStats { numMaterialized numFailed }
    latestMaterializationByPartition(partitions: $partitions) { partition runId } } }
"""
CHECKS = """
query ($key: AssetKeyInput!) { assetNodes(assetKeys: [$key]) { assetChecksOrError {
  __typename ... on AssetChecks { checks { name blocking } } } } }
"""
CHECK_EXECUTIONS = """
query ($key: AssetKeyInput!, $check: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $check, limit: 1000) {
    partition status evaluation { success severity } run { tags { key value } } } }
"""
INSTIGATORS = """
query { repositoriesOrError { __typename ... on RepositoryConnection { nodes { name
  location { name }
  schedules { name cronSchedule scheduleState { status } }
  sensors { name sensorType sensorState { status } } } } } }
"""
LATEST_METADATA = """
query ($key: AssetKeyInput!, $partitions: [String!]) { assetNodes(assetKeys: [$key]) {
  latestMaterializationByPartition(partitions: $partitions) { partition metadataEntries { label __typename
    ... on MarkdownMetadataEntry { mdStr }
    ... on FloatMetadataEntry { floatValue }
    ... on IntMetadataEntry { intValue }
    ... on PathMetadataEntry { path }
    ... on UrlMetadataEntry { url } } } } }
"""


def _key(name: str) -> dict[str, list[str]]:
    return {"path": [name]}


def _name(key: dict[str, list[str]]) -> str:
    return "/".join(key["path"])


@pytest.fixture(scope="module")
def webserver(demo_run: DemoRun) -> Iterator[Webserver]:
    home = Path(demo_run.instance.root_directory)
    # The fixture's environment is still in place (INFRANAUT_DATA_DIR set, Slack unset); pass it on explicitly
    # so the webserver's code server builds the same definitions over the same lake and warehouse.
    env = {"INFRANAUT_DATA_DIR": str(demo_run.data_dir)}
    # Mark Dagster's first-visit newsletter dialog as seen, as `dagster dev` does after one click.
    (home / ".nux").mkdir(exist_ok=True)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")
    with run_webserver(home, env, ARTIFACTS / "dagster-webserver.log") as server:
        yield server


@pytest.fixture(scope="module")
def browser(webserver: Webserver) -> Iterator[Browser]:
    with headless_chromium(ARTIFACTS) as b:
        yield b


def _partitions(run: DemoRun) -> list[str]:
    return [str(partition_key(d, m)) for d in run.days for m in run.registry.model_ids]


# --- the API the UI is built on ------------------------------------------------------------------------------


def test_assets_are_grouped_by_phase_with_dbt_models_in_aggregation(webserver: Webserver) -> None:
    nodes = {_name(n["assetKey"]): n for n in webserver.graphql(ASSET_NODES)["assetNodes"]}
    assert ALL_ASSETS <= set(nodes), sorted(ALL_ASSETS - set(nodes))
    for group, assets in GROUPS.items():
        for asset in assets:
            assert nodes[asset]["groupName"] == group, (asset, nodes[asset]["groupName"])
    assert {nodes[a]["groupName"] for a in ALL_ASSETS} == set(GROUPS)
    for model in GROUPS["aggregation"]:
        assert "dbt" in nodes[model]["kinds"], (model, nodes[model]["kinds"])
    assert all(nodes[a]["isPartitioned"] for a in ALL_ASSETS)


def test_lineage_edges(webserver: Webserver) -> None:
    nodes = {_name(n["assetKey"]): n for n in webserver.graphql(ASSET_NODES)["assetNodes"]}
    for up, down in EDGES:
        assert up in {_name(k) for k in nodes[down]["dependencyKeys"]}, f"missing edge {up} -> {down}"
        assert down in {_name(k) for k in nodes[up]["dependedByKeys"]}, f"missing edge {up} -> {down}"


def test_every_date_model_partition_is_materialized(webserver: Webserver, demo_run: DemoRun) -> None:
    partitions = _partitions(demo_run)
    assets = sorted(ALL_ASSETS - {"drift_baseline"})  # the baseline is partitioned by model only
    data = webserver.graphql(PARTITIONS, {"keys": [_key(a) for a in assets], "partitions": partitions})
    seen = {_name(n["assetKey"]): n for n in data["assetNodes"]}
    assert set(seen) == set(assets)
    for asset, node in seen.items():
        latest = node["latestMaterializationByPartition"]
        missing = [p for p, event in zip(partitions, latest) if event is None]
        assert not missing, (asset, missing)
        assert [e["partition"] for e in latest] == partitions
        assert node["partitionStats"]["numMaterialized"] >= len(partitions), (asset, node["partitionStats"])
        assert node["partitionStats"]["numFailed"] == 0, (asset, node["partitionStats"])
    baseline = webserver.graphql(
        PARTITIONS, {"keys": [_key("drift_baseline")], "partitions": list(demo_run.registry.model_ids)}
    )["assetNodes"][0]
    assert all(baseline["latestMaterializationByPartition"]), baseline


def _run_partition(execution: dict) -> str | None:
    tags = {t["key"]: t["value"] for t in (execution.get("run") or {}).get("tags", [])}
    return tags.get("dagster/partition")


def test_validated_inferences_check_results_per_partition(webserver: Webserver, demo_run: DemoRun) -> None:
    key = _key("validated_inferences")
    checks = webserver.graphql(CHECKS, {"key": key})["assetNodes"][0]["assetChecksOrError"]
    assert checks["__typename"] == "AssetChecks", checks
    names = {c["name"] for c in checks["checks"]}
    assert {"schema_conforms", "unique_prediction_id", "values_in_range", "volume_anomaly"} <= names, sorted(names)
    partitions = set(_partitions(demo_run))
    for check in checks["checks"]:
        runs = webserver.graphql(CHECK_EXECUTIONS, {"key": key, "check": check["name"]})["assetCheckExecutions"]
        assert all(r["status"] in ("SUCCEEDED", "FAILED") and r["evaluation"] for r in runs), (check["name"], runs[:3])
        # The checks are declared without a partitions_def, so an execution's own `partition` is empty; the
        # (date, model) it judged is the partition of the run that evaluated it.
        by_partition = {_run_partition(r): r for r in runs if _run_partition(r) in partitions}
        assert set(by_partition) == partitions, (check["name"], sorted(partitions - set(by_partition)))
        if check["blocking"]:
            # Every downstream asset materialized for every partition, so no blocking check can have failed.
            failed = sorted(p for p, r in by_partition.items() if not r["evaluation"]["success"])
            assert not failed, (check["name"], failed)


def test_check_executions_carry_their_partition(webserver: Webserver) -> None:
    runs = webserver.graphql(
        CHECK_EXECUTIONS, {"key": _key("validated_inferences"), "check": "schema_conforms"}
    )["assetCheckExecutions"]
    assert runs and all(r["partition"] for r in runs)


def test_schedules_and_sensors_are_listed(webserver: Webserver) -> None:
    repos = webserver.graphql(INSTIGATORS)["repositoriesOrError"]
    assert repos["__typename"] == "RepositoryConnection", repos
    schedules = {s["name"]: s for r in repos["nodes"] for s in r["schedules"]}
    sensors = {s["name"]: s for r in repos["nodes"] for s in r["sensors"]}
    assert "nightly_drift_schedule" in schedules, sorted(schedules)
    assert schedules["nightly_drift_schedule"]["scheduleState"]["status"] == "RUNNING"
    assert {"landing_sensor", "alert_on_run_failure"} <= set(sensors), sorted(sensors)
    assert sensors["alert_on_run_failure"]["sensorType"] == "RUN_STATUS"
    assert sensors["alert_on_run_failure"]["sensorState"]["status"] == "RUNNING"
    assert sensors["landing_sensor"]["sensorState"]["status"] in ("RUNNING", "STOPPED")


def test_metadata_people_look_at(webserver: Webserver, demo_run: DemoRun) -> None:
    """Drift table as markdown, numbers as numbers (the UI plots those over partitions), a report link."""
    partitions = _partitions(demo_run)
    report = webserver.graphql(LATEST_METADATA, {"key": _key("drift_report"), "partitions": partitions})
    for event in report["assetNodes"][0]["latestMaterializationByPartition"]:
        entries = {e["label"]: e for e in event["metadataEntries"]}
        assert entries["drift_table"]["__typename"] == "MarkdownMetadataEntry", entries["drift_table"]
        assert "|" in entries["drift_table"]["mdStr"]
        assert entries["drift_share"]["__typename"] == "FloatMetadataEntry"
        link = entries["report_html"]
        assert link["__typename"] in ("PathMetadataEntry", "UrlMetadataEntry"), link
        assert (link.get("path") or link.get("url") or "").endswith("drift_report.html")
    validated = webserver.graphql(LATEST_METADATA, {"key": _key("validated_inferences"), "partitions": partitions})
    for event in validated["assetNodes"][0]["latestMaterializationByPartition"]:
        entries = {e["label"]: e for e in event["metadataEntries"]}
        assert entries["quality_score"]["__typename"] == "FloatMetadataEntry", entries.get("quality_score")
        assert 0.0 <= entries["quality_score"]["floatValue"] <= 1.0


# --- what a person sees in the browser ------------------------------------------------------------------------


def _publish(shot: Path, name: str) -> None:
    if os.environ.get("INFRANAUT_UPDATE_SCREENSHOTS") == "1":
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_IMAGES / name)


def _shown(name: str, lines: set[str]) -> bool:
    """Zoomed out, the graph middle-truncates long names ("daily_mod…_metrics")."""
    for line in lines:
        head, sep, tail = line.partition("\u2026")
        if line == name or (sep and head and name.startswith(head) and name.endswith(tail)):
            return True
    return False


def test_asset_graph_page_shows_the_lineage(browser: Browser, webserver: Webserver) -> None:
    # Groups start collapsed on the global lineage; `expanded` is the UI's own URL state for opening them all.
    expanded = ",".join(f"global@global:{g}" for g in GROUPS)
    browser.set_window_size(1920, 1200)
    browser.get(f"{webserver.url}/asset-groups?expanded={urllib.parse.quote(expanded)}")
    browser.wait_for_text(["Global asset lineage", *GROUPS, "raw_inferences", "alerts"], timeout=120)
    deadline = time.monotonic() + 60
    while True:  # every node of every phase rendered (nodes are HTML inside the SVG canvas)
        lines = {line.strip() for line in browser.text().splitlines()}
        missing = [a for a in sorted(ALL_ASSETS) if not _shown(a, lines)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not missing, (missing, sorted(lines))
    assert not {"Error", "Something went wrong"} & lines
    time.sleep(1.0)  # let the fit-to-screen animation settle before the screenshot
    shot = browser.screenshot(ARTIFACTS / "lineage.png")
    assert shot.stat().st_size > 20_000  # a blank page is a few KB
    _publish(shot, "lineage.png")


def test_drift_report_opens_standalone_with_charts(browser: Browser, demo_run: DemoRun) -> None:
    model = "fraud_detector"
    episode = DRIFT_EPISODES[model]
    day = demo_run.days[episode.start_day_index].isoformat()
    path = demo_run.data_dir / "lake" / "reports" / model / day / "drift_report.html"
    assert path.exists(), path
    browser.get(path.as_uri())
    text = browser.wait_for_text(["Drift report", "amount", "Dataset drift"], timeout=30)
    # The verdict shown is the one computed (same as the JSON report next to it).
    verdict = json.loads(path.with_suffix(".json").read_text())["result"]
    expected = "YES" if verdict["dataset_drift"] else ("partial" if verdict["n_drifted"] else "no")
    assert f"Dataset drift: {expected}" in text, text[:1500]
    assert f"{verdict['n_drifted']} drifted feature(s)" in text
    rows = browser.js(
        """return Array.from(document.querySelectorAll('tr')).map(tr =>
             Array.from(tr.children).map(td => td.innerText.trim()));"""
    )
    drifted = {r[0].split("\n")[0] for r in rows if len(r) > 5 and r[5] == "YES"}
    assert set(episode.features) <= drifted, (episode.features, drifted)
    charts = browser.js(
        """return Array.from(document.querySelectorAll('svg')).map(s => {
             const r = s.getBoundingClientRect();
             return {w: r.width, h: r.height, shapes: s.querySelectorAll('rect,path,line,polyline,circle').length};
           });"""
    )
    assert charts, "the report has no inline SVG chart"
    drawn = [c for c in charts if c["w"] > 20 and c["h"] > 10 and c["shapes"] > 0]
    assert len(drawn) >= len(episode.features), charts[:5]
    # Standalone: every resource the page loaded came from the file itself (no CDN, no web fonts).
    loaded = browser.js("return performance.getEntriesByType('resource').map(e => e.name);")
    remote = [u for u in loaded if urllib.parse.urlparse(u).scheme not in ("file", "data", "blob")]
    assert not remote, remote
    external = browser.js(
        """return Array.from(document.querySelectorAll('[src],link[href]'))
             .map(e => e.getAttribute('src') || e.getAttribute('href'))
             .filter(u => /^(https?:)?\\/\\//.test(u));"""
    )
    assert not external, external
    height = int(browser.js("return Math.min(document.documentElement.scrollHeight, 2400);"))
    browser.set_window_size(1400, max(height, 900))
    shot = browser.screenshot(ARTIFACTS / "drift_report.png")
    assert shot.stat().st_size > 20_000
    _publish(shot, "drift_report.png")
