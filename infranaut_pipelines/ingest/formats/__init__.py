"""Decoders for what serving stacks write (SageMaker data capture, KServe's payload logger, Databricks
inference tables) into rows of the landing contract. Pure: no Dagster, no I/O beyond the bytes given."""
