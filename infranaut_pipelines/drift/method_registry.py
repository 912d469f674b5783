"""Every drift method, one record each: the one place a method is declared (Evidently's stattest-registry shape).

Everything else reads from here: which methods a column kind accepts (``ColumnSpec`` validation, learned
thresholds), the default threshold and the direction of the verdict (``compare``), and how a score is
normalised for alert rules (``monitoring/signals.py``). Adding a method is one ``DriftMethod`` entry in
``METHODS`` plus a test; see docs/drift.md, "Add a drift method".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from infranaut_pipelines.drift import contingency, noise_floor
from infranaut_pipelines.drift import methods as m
from infranaut_pipelines.drift.pairs import CategoricalPair, NumericPair, Pair

Kind = str  # "numeric" | "categorical" (spec.Kind; not imported, spec.py imports this module)
Score = Callable[[Pair], dict]  # -> {"score": ..., "statistic": ..., extra stats}
Floor = Callable[[Pair], "float | None"]  # -> the score an unchanged day of this size stays under (see noise_floor.py)


@dataclass(frozen=True)
class DriftMethod:
    name: str
    kinds: tuple[Kind, ...]  # column kinds it applies to
    default_threshold: float
    # True for p-values (drift when the score is below the threshold), False for distances (at or above it)
    lower_is_drift: bool
    score: Score  # (reference, current) summaries -> dict with "score" and "statistic"
    # whether a score exactly at the threshold is drift: Evidently's KS drifts at p <= threshold, its other
    # tests at p < threshold, its distances at d >= threshold
    drift_at_threshold: bool = True
    from_sketch: bool = True  # scores from stored summaries; False would need the raw reference rows
    # distances only: the default threshold is raised to this on small days (None: never raised)
    noise_floor: Floor | None = None
    aliases: tuple[str, ...] = ()
    summary: str = ""

    def is_drift(self, score: float, threshold: float) -> bool:
        if score == threshold:
            return self.drift_at_threshold
        return score < threshold if self.lower_is_drift else score > threshold


def _ks(p: Pair) -> dict:
    return m.ks(p.ref, p.cur)


def _wasserstein(p: Pair) -> dict:
    return m.wasserstein_norm(p.ref, p.cur, p.ref_std)


def _counts_test(two_sample: Callable[[dict, dict], dict], goodness_of_fit: Callable[[dict, dict], dict],
                 name: str) -> Score:
    """chisquare / z on counts: two-sample by default, Evidently's goodness-of-fit form if asked."""

    def score(p: Pair) -> dict:
        ref, cur = p.counts(name)
        return two_sample(ref, cur) if p.two_sample else goodness_of_fit(ref, cur)

    return score


def _on_masses(stat: Callable, bins_from_distinct: bool = False) -> Score:
    def score(p: Pair) -> dict:
        r, c, approx = p.masses(bins_from_distinct)
        out = stat(r, c)
        if approx:
            out["approximation"] = approx
        return out

    return score


def _wasserstein_floor(p: Pair) -> float | None:
    return noise_floor.wasserstein_floor(p.ref, p.cur.n, p.ref_std)


def _masses_floor(stat: Callable, bins_from_distinct: bool = False) -> Floor:
    def floor(p: Pair) -> float | None:
        r, _, _ = p.masses(bins_from_distinct)
        return noise_floor.masses_floor(stat, r, p.cur.n)

    return floor


BOTH: tuple[Kind, ...] = ("numeric", "categorical")
METHODS: tuple[DriftMethod, ...] = (
    DriftMethod("ks", ("numeric",), 0.05, True, _ks, aliases=("kolmogorov_smirnov",),
                summary="two-sample Kolmogorov-Smirnov p-value"),
    DriftMethod("psi", BOTH, 0.1, False, _on_masses(m.psi), noise_floor=_masses_floor(m.psi),
                summary="population stability index"),
    DriftMethod("jensenshannon", BOTH, 0.1, False, _on_masses(m.jensenshannon), aliases=("js", "jensen_shannon"),
                noise_floor=_masses_floor(m.jensenshannon), summary="Jensen-Shannon distance"),
    DriftMethod("wasserstein", ("numeric",), 0.1, False, _wasserstein, aliases=("wasserstein_norm",),
                noise_floor=_wasserstein_floor, summary="Wasserstein-1 distance over the reference standard deviation"),
    DriftMethod("chisquare", BOTH, 0.05, True,
                _counts_test(contingency.chisquare_two_sample, m.chisquare, "chisquare"),
                drift_at_threshold=False, aliases=("chi2", "chi"), summary="chi-square p-value on counts"),
    DriftMethod("z", BOTH, 0.05, True, _counts_test(contingency.ztest_two_sample, m.ztest, "z"),
                drift_at_threshold=False, aliases=("ztest",), summary="two-proportion z-test p-value"),
    DriftMethod("hellinger", BOTH, 0.1, False, _on_masses(m.hellinger, bins_from_distinct=True),
                noise_floor=_masses_floor(m.hellinger, bins_from_distinct=True), summary="Hellinger distance"),
)
BY_NAME: dict[str, DriftMethod] = {d.name: d for d in METHODS}
_LOOKUP: dict[str, DriftMethod] = {**{a: d for d in METHODS for a in d.aliases}, **BY_NAME}


def method_names() -> tuple[str, ...]:
    return tuple(BY_NAME)


def get(name: str) -> DriftMethod:
    """The record for a method name or alias (any case); ValueError naming the known methods otherwise."""
    d = _LOOKUP.get(name.lower())
    if d is None:
        raise ValueError(f"unknown drift method {name!r}; known: {', '.join(BY_NAME)}")
    return d


def for_kind(kind: Kind) -> tuple[DriftMethod, ...]:
    return tuple(d for d in METHODS if kind in d.kinds)


def lower_is_drift(name: str | None) -> bool:
    """Whether a small score is drift (p-values); False for distances and unknown names."""
    d = _LOOKUP.get(name.lower()) if name else None
    return bool(d and d.lower_is_drift)


__all__ = ["BY_NAME", "METHODS", "CategoricalPair", "DriftMethod", "NumericPair", "for_kind", "get",
           "lower_is_drift", "method_names"]
