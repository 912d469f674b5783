"""The warehouse behind SQLAlchemy: DuckDB (a file) by default, PostgreSQL in production.

Tables are replaced one partition at a time (delete the partition's rows, insert the new ones, in one
transaction), which is what makes every asset re-runnable without duplicates.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

_PG_TYPES = {
    pl.Utf8: "TEXT",
    pl.Int64: "BIGINT",
    pl.Int32: "INTEGER",
    pl.Float64: "DOUBLE PRECISION",
    pl.Float32: "REAL",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
}


def _sql_type(dtype: pl.DataType, dialect: str) -> str:
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    for k, v in _PG_TYPES.items():
        if dtype == k:
            return "DOUBLE" if (v == "DOUBLE PRECISION" and dialect == "duckdb") else v
    if dtype in (pl.Int8, pl.Int16, pl.UInt8, pl.UInt16, pl.UInt32):
        return "INTEGER"
    if dtype == pl.UInt64:
        return "BIGINT"
    return "TEXT"


def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe SQL identifier {name!r}")
    return f'"{name}"'


class Warehouse:
    """A thin layer over one SQLAlchemy engine. NullPool: DuckDB allows one writer process, so
    connections are opened per use and closed at once, leaving the file free for dbt and other processes.

    Opening a connection is the expensive part of a small query (on DuckDB it opens the file and checkpoints
    on close), so the names of the existing tables are remembered: asking whether a table exists, or creating
    one that exists, opens no connection of its own. Tables are never dropped while a Warehouse is in use;
    a name not seen yet is looked up again.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith(("postgresql://", "postgres://")):
            # SQLAlchemy 2.1 defaults to psycopg 3; we ship psycopg2, which dbt-postgres needs anyway.
            url = "postgresql+psycopg2://" + url.split("://", 1)[1]
        self.engine = sa.create_engine(url, poolclass=NullPool)
        self.dialect = self.engine.dialect.name  # "duckdb" or "postgresql"
        self._tables: frozenset[str] = frozenset()  # tables (and views) known to exist

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield conn

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self.connect() as conn:
            conn.execute(sa.text(sql), dict(params or {}))

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
        with self.connect() as conn:
            result = conn.execute(sa.text(sql), dict(params or {}))
            rows = result.fetchall()
            cols = list(result.keys())
        return pl.DataFrame([tuple(r) for r in rows], schema=cols, orient="row") if rows else pl.DataFrame(
            {c: [] for c in cols}
        )

    def table_exists(self, table: str) -> bool:
        if table not in self._tables:  # one listing answers this and every later question about a table
            with self.engine.connect() as conn:
                inspector = sa.inspect(conn)
                names = {*inspector.get_table_names(), *inspector.get_view_names()}
                # The listing covers the default schema; has_table also sees the rest of PostgreSQL's search_path.
                if table not in names and inspector.has_table(table):
                    names.add(table)
            self._tables = frozenset(names)
        return table in self._tables

    def _serialize(self, conn: sa.Connection, *key: object) -> None:
        """Hold a PostgreSQL advisory lock on ``key`` until the transaction ends.

        Production runs several runs at once, each its own process. Under READ COMMITTED, two racing
        "DELETE the rows; INSERT new ones" transactions both commit and leave both inserts behind, and two
        racing CREATE TABLE IF NOT EXISTS fail on the catalog (pg_type unique violation): writers of the same
        rows must take turns. DuckDB allows one writer process, so it needs nothing.
        """
        if self.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "infranaut:" + repr(key)})

    def ensure_table(self, table: str, schema: Mapping[str, pl.DataType]) -> None:
        if table in self._tables:
            return
        cols = ", ".join(f"{_quote(n)} {_sql_type(t, self.dialect)}" for n, t in schema.items())
        with self.connect() as conn:
            self._serialize(conn, "ddl", table)
            conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {_quote(table)} ({cols})"))
        self._tables |= {table}

    def replace_partition(self, table: str, df: pl.DataFrame, where: Mapping[str, Any]) -> int:
        """Atomically replace the rows matching ``where`` (e.g. model_id + partition_date) with ``df``."""
        self.ensure_table(table, df.schema)
        cond = " AND ".join(f"{_quote(k)} = :{k}" for k in where)
        with self.connect() as conn:
            self._serialize(conn, "rows", table, sorted((k, str(v)) for k, v in where.items()))
            conn.execute(sa.text(f"DELETE FROM {_quote(table)} WHERE {cond}"), dict(where))
            if df.height:
                self._bulk_insert(conn, table, df)
        return df.height

    def replace_table(self, table: str, df: pl.DataFrame) -> int:
        """Replace the whole content of a small table (e.g. the registry snapshot) in one transaction."""
        self.ensure_table(table, df.schema)
        with self.connect() as conn:
            self._serialize(conn, "table", table)
            conn.execute(sa.text(f"DELETE FROM {_quote(table)}"))
            if df.height:
                self._bulk_insert(conn, table, df)
        return df.height

    def append(self, table: str, df: pl.DataFrame) -> int:
        """Insert rows (creating the table from the frame's schema if needed)."""
        self.ensure_table(table, df.schema)
        if df.height:
            with self.connect() as conn:
                self._bulk_insert(conn, table, df)
        return df.height

    def _bulk_insert(self, conn: sa.Connection, table: str, df: pl.DataFrame) -> None:
        cols = ", ".join(_quote(c) for c in df.columns)
        raw = conn.connection.driver_connection
        if self.dialect == "duckdb":
            # DuckDB reads the Arrow buffer directly: no per-row Python.
            arrow = df.to_arrow()  # noqa: F841 - referenced by name in the SQL below
            raw.execute(f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM arrow")
        elif self.dialect == "postgresql":
            buf = io.StringIO()
            df.write_csv(buf, include_header=False, null_value="\\N", datetime_format="%Y-%m-%dT%H:%M:%S%.f%z")
            buf.seek(0)
            with raw.cursor() as cur:
                cur.copy_expert(
                    f"COPY {_quote(table)} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf
                )
        else:
            placeholders = ", ".join(f":{c}" for c in df.columns)
            conn.execute(sa.text(f"INSERT INTO {_quote(table)} ({cols}) VALUES ({placeholders})"), df.to_dicts())
