"""Retention configuration: how many days each warehouse table and lake asset is kept (pure).

The packaged ``config/retention.yaml`` holds the documented defaults; ``INFRANAUT_RETENTION`` names a file
of the user's own, whose keys override the defaults one by one (a key left out keeps its default).
An unknown table or asset is an error naming it, so a typo never silently keeps data forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from infranaut_pipelines.retention.rules import LAKE_ASSETS, TABLE_RULES


class RetentionConfigError(ValueError):
    """A retention file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class RetentionPolicy:
    warehouse: dict[str, int | None]  # table -> days kept (None: forever)
    lake: dict[str, int | None]  # asset (or "reports") -> days kept
    batch_rows: int = 10_000


def default_path() -> Path:
    return Path(str(resources.files("infranaut_pipelines") / "config" / "retention.yaml"))


def load_policy(path: str | Path | None = None) -> RetentionPolicy:
    """The defaults, overridden key by key by ``path`` when given."""
    base = _read(default_path())
    policy = _build(base, default_path())
    if not path:
        return policy
    own = _read(Path(path))
    merged = {
        "batch_rows": own.get("batch_rows", base.get("batch_rows")),
        "warehouse": {**(base.get("warehouse") or {}), **(own.get("warehouse") or {})},
        "lake": {**(base.get("lake") or {}), **(own.get("lake") or {})},
    }
    return _build(merged, Path(path))


def _read(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise RetentionConfigError(f"{path}: cannot read the retention file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RetentionConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict):
        raise RetentionConfigError(f"{path}: expected a mapping with 'warehouse' and 'lake'")
    unknown = set(doc) - {"batch_rows", "warehouse", "lake"}
    if unknown:
        raise RetentionConfigError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    return doc


def _build(doc: dict[str, Any], path: Path) -> RetentionPolicy:
    batch = doc.get("batch_rows", 10_000)
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise RetentionConfigError(f"{path}: batch_rows must be a whole number of at least 1, got {batch!r}")
    return RetentionPolicy(
        warehouse=_days(doc.get("warehouse") or {}, set(TABLE_RULES), "warehouse", path),
        lake=_days(doc.get("lake") or {}, set(LAKE_ASSETS), "lake", path),
        batch_rows=batch,
    )


def _days(section: Any, known: set[str], name: str, path: Path) -> dict[str, int | None]:
    if not isinstance(section, dict):
        raise RetentionConfigError(f"{path}: '{name}' must map names to days")
    out: dict[str, int | None] = {}
    for key, value in section.items():
        if key not in known:
            raise RetentionConfigError(f"{path}: {name}.{key} is not one Infranaut writes "
                                       f"(known: {', '.join(sorted(known))})")
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise RetentionConfigError(f"{path}: {name}.{key} must be a number of days >= 1 or null, got {value!r}")
        out[key] = value
    return out
