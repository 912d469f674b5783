"""What every decoder returns: contract rows as plain values, each with its own list of problems.

A record that cannot be decoded still becomes a row (with whatever could be recovered and the reason in
``errors``), so validation quarantines it and ``read == validated + quarantined`` holds for every drop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Decoded:
    """Rows decoded from one object (or one joined group of objects)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[list[str]] = field(default_factory=list)  # aligned with ``rows``; [] = a good row
    # Contract columns the format does not carry at all (e.g. latency in SageMaker capture): null, not invented.
    not_available: tuple[str, ...] = ()
    # Objects deliberately left for a later run (a KServe request whose response is still in its grace period).
    waiting: list[str] = field(default_factory=list)

    def add(self, row: dict[str, Any], errors: list[str] | None = None) -> None:
        self.rows.append(row)
        self.errors.append(list(errors or []))

    def extend(self, other: "Decoded") -> None:
        self.rows += other.rows
        self.errors += other.errors
        self.waiting += other.waiting
        self.not_available = tuple(dict.fromkeys(self.not_available + other.not_available))

    @property
    def read(self) -> int:
        return len(self.rows)

    @property
    def with_errors(self) -> int:
        return sum(1 for e in self.errors if e)


def shorten(text: str, limit: int = 80) -> str:
    """A bit of a bad value, quoted back in a reason (never the whole payload: it may be large or private)."""
    text = text.replace("\x1f", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
