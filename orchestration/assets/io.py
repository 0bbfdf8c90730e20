"""Small reads and writes of the Python assets: parameterised Arrow reads, frame appends."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from orchestration.warehouse import Warehouse, load_arrow

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def read_arrow(warehouse: Warehouse, sql: str, params: dict | None = None) -> pa.Table:
    """Run a query with :named parameters and return Arrow (native on DuckDB, no row loop)."""
    if warehouse.target != "duckdb" or not params:
        return warehouse.query_arrow(sql, params)
    with warehouse.connect() as conn:
        raw = conn.connection.driver_connection
        return raw.sql(_NAMED.sub(r"$\1", sql), params=params).to_arrow_table()


def read_frame(warehouse: Warehouse, sql: str, params: dict | None = None) -> pd.DataFrame:
    return read_arrow(warehouse, sql, params).to_pandas()


def append_frame(conn: sa.Connection, target: str, table: str, frame: pd.DataFrame) -> int:
    """Bulk-append a frame to an existing raw table (columns by name); return the row count."""
    if frame.empty:
        return 0
    load_arrow(conn, target, table, pa.Table.from_pandas(frame, preserve_index=False))
    return len(frame)


def utc_now() -> dt.datetime:
    """Now in UTC without a time zone (the raw contract's convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def markdown_table(rows: list[dict]) -> str:
    """Rows of dicts as a Markdown table (header from the first row)."""
    if not rows:
        return "(none)"
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in header) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")
