"""The registry's per-model ``source``: default unchanged, each format's required fields, errors that name
file, model and field."""

import pytest

from infranaut_pipelines.registry import RegistryError, parse_registry
from infranaut_pipelines.registry.loader import default_registry_path, load_registry
from tests.formats.fixtures import MODEL, REGISTRY_YAML

BASE = """\
models:
  - id: plain_model
    task: regression
    features: [{name: x, type: float}]
"""


def test_default_source_is_the_landing_contract() -> None:
    assert parse_registry(BASE).model("plain_model").source.format == "infranaut"
    assert {m.source.format for m in load_registry(default_registry_path()).models} == {"infranaut"}


def test_a_sagemaker_entry_knows_its_capture_folder() -> None:
    src = parse_registry(REGISTRY_YAML).model(MODEL).source
    assert src.capture_prefix == "datacapture/parcel-eta-prod/AllTraffic/"
    assert src.ground_truth is not None and src.ground_truth.prefix == "groundtruth/parcel-eta"


@pytest.mark.parametrize(
    ("source", "field", "words"),
    [
        ("{format: sagemaker_capture, prefix: cap}", "source", "needs 'endpoint' and 'variant'"),
        ("{format: kserve}", "source", "needs 'prefix'"),
        ("{format: inference_table, prefix: 's3://bucket/x'}", "source.prefix", "is a URL"),
        ("{format: kserve, prefix: 'a/../b'}", "source.prefix", "relative key prefix"),
        ("{format: kserve, prefix: inferences/x}", "source.prefix", "landing contract"),
        ("{format: cloudwatch}", "source.format", "Input should be"),
        ("{format: kserve, prefix: p, endpoint: e}", "source", "only apply to format 'sagemaker_capture'"),
        ("{format: sagemaker_capture, endpoint: 'a b', variant: v}", "source.endpoint", "endpoint/variant name"),
        ("{format: infranaut, prefix: x}", "source", "takes no 'prefix'"),
        ("{format: kserve, prefix: p, grace_minutes: -1}", "source.grace_minutes", "greater than or equal"),
    ],
)
def test_bad_sources_name_file_model_and_field(source: str, field: str, words: str) -> None:
    with pytest.raises(RegistryError) as err:
        parse_registry(BASE + f"    source: {source}\n", "team.yaml")
    text = str(err.value)
    assert "team.yaml" in text and "model 'plain_model'" in text and f"field '{field}'" in text and words in text


def test_two_models_cannot_read_the_same_folder() -> None:
    two = BASE + "    source: {format: kserve, prefix: logs/isvc}\n" + BASE.split("models:\n")[1].replace(
        "plain_model", "other_model") + "    source: {format: kserve, prefix: logs/isvc/predictor}\n"
    with pytest.raises(RegistryError, match="overlapping landing folders"):
        parse_registry(two)
