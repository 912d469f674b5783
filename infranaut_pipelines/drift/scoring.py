"""Pick the method for a column and score a (reference, current) pair of summaries.

The same function scores reference chunk-vs-rest pairs for learned thresholds and the real
reference-vs-current pair, so both are measured identically. What each method computes is its
record in method_registry.py.
"""

from __future__ import annotations

from infranaut_pipelines.drift import method_registry
from infranaut_pipelines.drift.categorical import CategoricalSummary
from infranaut_pipelines.drift.numeric import NumericSummary
from infranaut_pipelines.drift.pairs import UNSEEN, CategoricalPair, NumericPair, numeric_value_counts
from infranaut_pipelines.drift.spec import LOW_CARDINALITY, default_method

NUMERIC_METHODS = tuple(d.name for d in method_registry.for_kind("numeric"))
CATEGORICAL_METHODS = tuple(d.name for d in method_registry.for_kind("categorical"))


def n_values_numeric(ref: NumericSummary, cur: NumericSummary, exact: bool, n_unique_ref: int) -> int:
    if n_unique_ref > LOW_CARDINALITY:
        return n_unique_ref
    vc = numeric_value_counts(ref, cur, exact)
    if vc is None or UNSEEN in vc[1]:
        return LOW_CARDINALITY + 1
    return len(set(vc[0]) | set(vc[1]))


def choose_numeric(ref: NumericSummary, cur: NumericSummary, exact: bool, n_unique_ref: int) -> str:
    return default_method("numeric", ref.n, n_values_numeric(ref, cur, exact, n_unique_ref))


def choose_categorical(ref: CategoricalSummary, cur: CategoricalSummary) -> str:
    return default_method("categorical", ref.n, len(set(ref.counts) | set(cur.counts)))


def floor_numeric(method: str, ref: NumericSummary, cur: NumericSummary, ref_std: float, exact: bool,
                  n_unique_ref: int) -> float | None:
    """The method's noise floor at the current size (None: the method has none, or the day is large)."""
    d = method_registry.get(method)
    return d.noise_floor(NumericPair(ref, cur, ref_std, exact, n_unique_ref)) if d.noise_floor else None


def floor_categorical(method: str, ref: CategoricalSummary, cur: CategoricalSummary) -> float | None:
    d = method_registry.get(method)
    return d.noise_floor(CategoricalPair(ref, cur)) if d.noise_floor else None


def score_numeric(method: str, ref: NumericSummary, cur: NumericSummary, ref_std: float, exact: bool,
                  n_unique_ref: int, two_sample: bool = True) -> dict:
    d = method_registry.get(method)
    if "numeric" not in d.kinds:
        raise ValueError(f"method {method!r} needs a categorical column")
    return d.score(NumericPair(ref, cur, ref_std, exact, n_unique_ref, two_sample))


def score_categorical(method: str, ref: CategoricalSummary, cur: CategoricalSummary, two_sample: bool = True) -> dict:
    d = method_registry.get(method)
    if "categorical" not in d.kinds:
        raise ValueError(f"method {method!r} needs a numeric column")
    return d.score(CategoricalPair(ref, cur, two_sample))
