"""Fixtures for the ingestion tests: the shipped registry plus a multiclass model built inline."""

from __future__ import annotations

import pytest

from infranaut_pipelines.registry.loader import default_registry_path, load_registry
from infranaut_pipelines.registry.schema import FeatureSpec, ModelSpec, PredictionSpec, Registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(default_registry_path())


@pytest.fixture(scope="session")
def fraud(registry: Registry) -> ModelSpec:
    return registry.model("fraud_detector")


@pytest.fixture(scope="session")
def demand(registry: Registry) -> ModelSpec:
    return registry.model("demand_forecaster")


@pytest.fixture(scope="session")
def intent() -> ModelSpec:
    return ModelSpec(
        id="intent_classifier",
        task="multiclass_classification",
        features=[FeatureSpec(name="n_tokens", type="int"), FeatureSpec(name="lang", type="category")],
        prediction=PredictionSpec(column="predicted_intent", classes=["buy", "cancel", "help"]),
    )
