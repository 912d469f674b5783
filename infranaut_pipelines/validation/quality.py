"""One number for a batch's data quality (documented in docs/validation.md).

    score = clamp(1 - Q - 0.25 * W - 0.5 * Dc - 0.1 * Dw, 0, 1)

Q  share of rows quarantined (failing >= 1 critical row rule; each row counted once)
W  share of rows flagged only by warning row rules (new categories, warning custom rules)
Dc number of failed critical dataset-level expectations (e.g. a mean out of bounds)
Dw number of failed warning dataset-level expectations

Quarantined rows weigh fully (they are lost to monitoring); warnings weigh a quarter (the data is
usable but surprising); a failed dataset-level rule is a property of the whole batch, so it costs a
fixed amount rather than a share of rows.
"""

from __future__ import annotations

WARN_ROW_WEIGHT = 0.25
CRITICAL_DATASET_WEIGHT = 0.5
WARNING_DATASET_WEIGHT = 0.1


def quality_score(
    rows: int,
    quarantined_rows: int,
    warned_rows: int = 0,
    failed_critical_dataset_rules: int = 0,
    failed_warning_dataset_rules: int = 0,
) -> float:
    if rows <= 0:
        return 0.0 if (failed_critical_dataset_rules or failed_warning_dataset_rules) else 1.0
    q = quarantined_rows / rows
    w = warned_rows / rows
    score = (1.0 - q - WARN_ROW_WEIGHT * w - CRITICAL_DATASET_WEIGHT * failed_critical_dataset_rules
             - WARNING_DATASET_WEIGHT * failed_warning_dataset_rules)
    return round(min(1.0, max(0.0, score)), 6)
