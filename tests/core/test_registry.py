"""The registry fails loudly and precisely: the file, the model and the field are named."""

from pathlib import Path

import pytest

from infranaut_pipelines.registry import RegistryError, load_registry, parse_registry

GOOD = """
models:
  - id: m1
    task: regression
    features:
      - {name: x, type: float, min: 0, max: 1}
"""


def test_shipped_registry_loads_with_both_demo_models() -> None:
    reg = load_registry()
    assert reg.model_ids == ["fraud_detector", "demand_forecaster"]
    assert reg.model("fraud_detector").task == "binary_classification"
    assert reg.model("fraud_detector").feature("customer_email").drift is False


def test_unknown_field_names_model_and_field() -> None:
    text = GOOD.replace("type: float, min: 0", "type: float, minimum: 0")
    with pytest.raises(RegistryError) as err:
        parse_registry(text, "reg.yaml")
    msg = str(err.value)
    assert "reg.yaml" in msg and "model 'm1'" in msg and "features.0.minimum" in msg


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("models: [\n  - id: x\n")
    with pytest.raises(RegistryError, match="bad.yaml: not valid YAML"):
        load_registry(p)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="cannot read model registry"):
        load_registry(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    "change, expected",
    [
        ("task: regression", "task: ranking"),
        ("min: 0, max: 1", "min: 2, max: 1"),
    ],
)
def test_semantic_errors(change: str, expected: str) -> None:
    with pytest.raises(RegistryError, match="model 'm1'"):
        parse_registry(GOOD.replace(change, expected))


def test_multiclass_requires_classes() -> None:
    with pytest.raises(RegistryError, match="prediction.classes"):
        parse_registry(GOOD.replace("task: regression", "task: multiclass_classification"))


def test_env_var_selects_another_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text(GOOD)
    monkeypatch.setenv("INFRANAUT_REGISTRY", str(p))
    from infranaut_pipelines.registry import get_registry

    assert get_registry().model_ids == ["m1"]
