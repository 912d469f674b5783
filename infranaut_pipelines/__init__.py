"""Infranaut Pipelines."""
