"""Glue between the model registry and the drift engine (pure, no Dagster)."""
