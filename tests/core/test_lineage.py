"""Every box in the lineage is owned and materialized by this project: no source left as an external asset,
nothing in Dagster's "default" group, and the registry table the dbt models join has its writer."""

import dagster as dg

from infranaut_pipelines.definitions import build_definitions


def test_every_asset_is_materializable_and_grouped() -> None:
    graph = build_definitions().resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    external = [k.to_user_string() for k in keys if not graph.get(k).is_materializable]
    ungrouped = [k.to_user_string() for k in keys if graph.get(k).group_name == "default"]
    assert not external and not ungrouped, (external, ungrouped)
    assert dg.AssetKey("model_registry") in graph.get(dg.AssetKey("daily_model_metrics")).parent_keys


def test_pipeline_jobs_write_the_registry_row() -> None:
    defs = build_definitions()
    for name in ("inference_pipeline_job", "label_pipeline_job"):
        job = defs.resolve_job_def(name)
        assert dg.AssetKey("model_registry") in job.asset_layer.executable_asset_keys, name
