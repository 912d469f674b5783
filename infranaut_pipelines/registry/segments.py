"""A model's segments in the registry: the columns its traffic is sliced by (country, plan, app version, ...).

A segment column is a declared feature: categorical ones are sliced by value, numeric ones by the declared
bucket edges. ``min_rows`` keeps noise out (a segment with fewer rows that day is reported as too small, not
scored); ``max_values`` caps a column with thousands of values: only the most frequent values of the reference
are monitored, and the report says how many were left out.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SegmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    buckets: list[float] | None = Field(default=None, min_length=1, max_length=50)
    min_rows: int = Field(default=200, ge=10)
    max_values: int = Field(default=50, ge=1, le=500)

    @model_validator(mode="after")
    def _check(self) -> "SegmentSpec":
        if self.buckets is not None and list(self.buckets) != sorted(set(self.buckets)):
            raise ValueError(f"segment {self.column!r}: 'buckets' must be strictly increasing edges")
        return self


def segment_problems(segments: list[SegmentSpec], numeric: dict[str, bool]) -> list[str]:
    """What is wrong with a model's segments given its features ({name: is numeric}); empty when fine."""
    out: list[str] = []
    seen: set[str] = set()
    for s in segments:
        if s.column in seen:
            out.append(f"segment column {s.column!r} is listed twice")
        seen.add(s.column)
        if s.column not in numeric:
            out.append(f"segment column {s.column!r} is not a declared feature")
        elif numeric[s.column] and s.buckets is None:
            out.append(f"segment column {s.column!r} is numeric: give its 'buckets' (edges, e.g. [0, 100, 1000])")
        elif not numeric[s.column] and s.buckets is not None:
            out.append(f"segment column {s.column!r} is categorical: 'buckets' only applies to numeric features")
    return out
