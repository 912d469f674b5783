"""Tests use the package's helper (one implementation)."""

from infranaut_pipelines.environment import temporary_env

__all__ = ["temporary_env"]
