"""The multivariate part of a drift result as a typed record (NannyML's results are classes, not dicts).

``to_dict`` gives exactly the JSON the reports and the warehouse have always stored (optional keys only when
set), and ``from_dict`` reads it back, including rows written before a field existed, so readers of stored
results can use attributes instead of string keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from infranaut_pipelines.drift.spec import STATUS_SCORED


@dataclass
class MultivariateResult:
    columns: list[str]
    n_components: int
    explained_variance: float | None
    reference_error: float | None
    lower: float | None  # the reference band of chunk-mean reconstruction errors
    upper: float | None
    current_error: float | None = None  # mean reconstruction error of the current rows; None unless scored
    drifted: bool = False
    error: str | None = None
    n_features: int = 0  # encoded width (numeric columns + one-hot indicators)
    n_current: int = 0
    status: str = STATUS_SCORED  # "scored", "too few rows" or "error"
    categorical_columns: list[str] = field(default_factory=list)
    note: str | None = None  # e.g. a baseline from before categorical features were encoded
    status_detail: str | None = None

    _OPTIONAL = ("note", "status_detail")

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for k in self._OPTIONAL:
            if out[k] is None:
                del out[k]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MultivariateResult":
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        kw.setdefault("n_features", len(d.get("columns", [])))
        # A partial record (the alert rules' view: error, band, verdict) is enough to evaluate; the fit's
        # description is then unknown rather than invented.
        for name, missing in (("columns", []), ("n_components", 0), ("explained_variance", None),
                              ("reference_error", None), ("lower", None), ("upper", None)):
            kw.setdefault(name, missing)
        return cls(**kw)
