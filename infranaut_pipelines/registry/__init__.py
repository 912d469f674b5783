"""Model registry: the per-model contract (features, prediction, SLA, drift, alert routing)."""

from infranaut_pipelines.registry.loader import (
    REGISTRY_ENV_VAR,
    RegistryError,
    get_registry,
    load_registry,
    parse_registry,
)
from infranaut_pipelines.registry.schema import FeatureSpec, ModelSpec, Registry

__all__ = [
    "REGISTRY_ENV_VAR",
    "FeatureSpec",
    "ModelSpec",
    "Registry",
    "RegistryError",
    "get_registry",
    "load_registry",
    "parse_registry",
]
