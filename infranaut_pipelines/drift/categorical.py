"""Mergeable summary of one categorical column: category -> count, plus null count."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

MAX_CATEGORIES = 10_000  # beyond this the rarest reference categories are lumped into OTHER
OTHER = "__other__"


@dataclass
class CategoricalSummary:
    counts: dict[str, int] = field(default_factory=dict)
    n: int = 0
    n_null: int = 0

    def add_series(self, s: pl.Series) -> None:
        s = s if s.dtype == pl.String else s.cast(pl.String)
        self.n_null += s.null_count()
        vc = s.drop_nulls().value_counts()
        if vc.height == 0:
            return
        keys, counts = vc.to_series(0).to_list(), vc.to_series(1).to_list()
        for k, c in zip(keys, counts):
            self.counts[k] = self.counts.get(k, 0) + int(c)
        self.n += int(sum(counts))

    def minus(self, other: "CategoricalSummary") -> "CategoricalSummary":
        out = {k: v - other.counts.get(k, 0) for k, v in self.counts.items()}
        return CategoricalSummary({k: v for k, v in out.items() if v > 0}, self.n - other.n, self.n_null - other.n_null)

    def lump(self, keep: set[str]) -> "CategoricalSummary":
        """Map categories outside ``keep`` to OTHER (only used when the reference itself was lumped)."""
        out: dict[str, int] = {}
        for k, v in self.counts.items():
            kk = k if k in keep else OTHER
            out[kk] = out.get(kk, 0) + v
        return CategoricalSummary(out, self.n, self.n_null)

    def capped(self) -> tuple["CategoricalSummary", bool]:
        if len(self.counts) <= MAX_CATEGORIES:
            return self, False
        top = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = dict(top[: MAX_CATEGORIES - 1])
        kept[OTHER] = kept.get(OTHER, 0) + sum(v for _, v in top[MAX_CATEGORIES - 1 :])
        return CategoricalSummary(kept, self.n, self.n_null), True

    def to_json(self) -> dict:
        return {"counts": sorted([k, v] for k, v in self.counts.items()), "n": self.n, "n_null": self.n_null}

    @classmethod
    def from_json(cls, d: dict) -> "CategoricalSummary":
        return cls({k: int(v) for k, v in d["counts"]}, int(d["n"]), int(d["n_null"]))
