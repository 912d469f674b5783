"""Load the registry YAML and turn validation errors into messages naming file, model and field."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from infranaut_pipelines.registry.schema import Registry

REGISTRY_ENV_VAR = "INFRANAUT_REGISTRY"


class RegistryError(ValueError):
    """The registry file is missing, is not YAML, or does not match the schema."""


def default_registry_path() -> Path:
    return Path(str(resources.files("infranaut_pipelines") / "config" / "models.yaml"))


def registry_path() -> Path:
    """The registry in use: ``$INFRANAUT_REGISTRY`` if set, else the one shipped in the package."""
    from infranaut_pipelines.settings import current

    override = current().registry_file
    return Path(override) if override else default_registry_path()


def _describe(raw: dict, loc: tuple) -> str:
    """Render a pydantic error location as ``model 'x', field 'a.b'``."""
    parts = list(loc)
    where = []
    if len(parts) >= 2 and parts[0] == "models" and isinstance(parts[1], int):
        models = raw.get("models") or []
        model_id = models[parts[1]].get("id") if parts[1] < len(models) and isinstance(models[parts[1]], dict) else None
        where.append(f"model {model_id!r}" if model_id else f"model #{parts[1]}")
        parts = parts[2:]
    field = ".".join(str(p) for p in parts)
    if field:
        where.append(f"field {field!r}")
    return ", ".join(where) or "top level"


def parse_registry(text: str, source: str = "<string>") -> Registry:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise RegistryError(f"{source}: expected a mapping with a 'models' list at the top level")
    try:
        return Registry.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{source}: invalid model registry:"]
        for err in exc.errors():
            lines.append(f"  - {_describe(raw, tuple(err['loc']))}: {err['msg']}")
        raise RegistryError("\n".join(lines)) from None


def load_registry(path: str | Path | None = None) -> Registry:
    p = Path(path) if path else registry_path()
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read model registry {p}: {exc}") from exc
    return parse_registry(text, str(p))


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> Registry:
    return load_registry(path)


def get_registry() -> Registry:
    """The active registry, re-read when the file changes (the daemon is long-lived)."""
    p = registry_path()
    return _cached(str(p), p.stat().st_mtime if p.exists() else 0.0)
