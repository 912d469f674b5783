"""Warehouse access (DuckDB by default, PostgreSQL in production) through SQLAlchemy."""

from infranaut_pipelines.warehouse.database import Warehouse

__all__ = ["Warehouse"]
