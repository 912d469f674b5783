"""Aggregation: the dbt models (dbt_project/) as partitioned Dagster assets.

One step runs ``dbt build`` once for its partitions: one model's range of days (a range of one for a
single-partition run). The models read only that slice of the warehouse and replace only that slice of their
tables, per day, and the dbt tests run right after on that slice as asset checks.
The dbt target follows the ``warehouse`` resource's URL, so there is nothing dbt-specific to configure.
"""

# No `from __future__ import annotations` here: @dbt_assets validates the `context` hint and cannot resolve
# a postponed (string) annotation.
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from infranaut_pipelines.partitions import RANGE_BACKFILL_POLICY, date_model_partitions, days_by_model, run_partitions
from infranaut_pipelines.resources.dbt import dbt_env_for_warehouse, dbt_project
from infranaut_pipelines.resources.dbt_in_process import dbt_build_in_process

AGGREGATION_GROUP = "aggregation"


class InfranautDbtTranslator(DagsterDbtTranslator):
    """Models go to the ``aggregation`` group; sources map to the assets that write them through the
    ``meta.dagster.asset_key`` in dbt_project/models/sources.yml (handled by the base class)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # Sources too: the registry snapshot table belongs with the models that read it, not in "default".
        if dbt_resource_props["resource_type"] in ("model", "source"):
            return AGGREGATION_GROUP
        return super().get_group_name(dbt_resource_props)


_project = dbt_project()
_translator = InfranautDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=_project.manifest_path,
    project=_project,
    name="aggregation_dbt_assets",
    partitions_def=date_model_partitions,
    dagster_dbt_translator=_translator,
    required_resource_keys={"dbt", "warehouse"},
    # Like every step that opens the warehouse: on DuckDB (one writer process) such steps take turns.
    pool="warehouse",
    backfill_policy=RANGE_BACKFILL_POLICY,
)
def aggregation_dbt_assets(context: dg.AssetExecutionContext) -> Iterator[Any]:
    by_model = days_by_model(run_partitions(context))
    outputs: set[str] = set()
    checks: dict[Any, dg.AssetCheckResult] = {}
    for model_id, days in by_model.items():
        # The partition travels in environment variables, not --vars: dbt throws away its partial-parse cache
        # whenever --vars change, which cost every partition a full re-parse (dbt_project/macros/partition.sql).
        # A range's days are contiguous (Dagster's ranges are), so first and last day are its filter.
        partition_env = {"INFRANAUT_PARTITION_DATE": days[0].isoformat(),
                         "INFRANAUT_PARTITION_DATE_END": days[-1].isoformat(), "INFRANAUT_PARTITION_MODEL_ID": model_id}
        env = dbt_env_for_warehouse(context.resources.warehouse.url) | partition_env
        context.log.info(f"dbt target {env['INFRANAUT_DBT_TARGET']!r} for {model_id} {days[0]}..{days[-1]} "
                         f"({len(days)} partitions)")
        # In this process, not a `dbt` subprocess per step: ~3 s less per partition (resources/dbt_in_process.py).
        for event in dbt_build_in_process(context, _project, _translator, env):
            if len(by_model) == 1:
                yield event
            elif isinstance(event, dg.Output):  # a range over several models: one output per dbt model
                if event.output_name not in outputs:
                    outputs.add(event.output_name)
                    yield event
            elif isinstance(event, dg.AssetCheckResult):  # ... and one result per test, failed if any failed
                key = (event.asset_key, event.check_name)
                if key not in checks or not event.passed:
                    checks[key] = event
            else:
                yield event
    yield from checks.values()
