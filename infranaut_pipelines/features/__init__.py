"""Feature engineering for monitored models (pure, no Dagster)."""
