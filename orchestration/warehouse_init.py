"""Create the schemas and the raw tables (the contract and the facts) that do not exist yet, and
add the nullable columns a newer contract has to older tables: on every engine, idempotently."""

from __future__ import annotations

import sqlalchemy as sa

from orchestration import raw_facts  # noqa: F401 (its tables join raw_contract.metadata)
from orchestration.raw_contract import RAW_SCHEMA, metadata
from orchestration.warehouse import Warehouse

SCHEMAS = ("raw", "staging", "intermediate", "marts")
INIT_LOCK_KEY = 7_160_816  # PostgreSQL advisory lock held while init_warehouse runs


def init_warehouse(warehouse: Warehouse) -> list[str]:
    """Create the schemas and raw tables that do not exist yet; return the tables created."""
    if warehouse.target == "spark":
        return _init_spark(warehouse)
    with warehouse.connect() as conn:
        if conn.dialect.name == "postgresql":
            # `create schema if not exists` run by two processes at once collides in the catalog
            # (two concurrent `vigie ingest` on a new database): one init at a time.
            conn.execute(sa.text("select pg_advisory_xact_lock(:key)"), {"key": INIT_LOCK_KEY})
        for schema in SCHEMAS:
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        _drop_unkeyed_drift_tests(conn)
        inspector = sa.inspect(conn)
        missing = [t for t in metadata.sorted_tables
                   if not inspector.has_table(t.name, schema=RAW_SCHEMA)]
        metadata.create_all(conn, tables=missing, checkfirst=True)
        _add_missing_columns(conn, inspector, [t for t in metadata.sorted_tables
                                               if t not in missing])
    return [t.name for t in missing]


def _add_missing_columns(conn: sa.Connection, inspector, tables: list[sa.Table]) -> None:
    """Add the nullable columns a newer contract has to tables an older one created."""
    for table in tables:
        # information_schema, not inspector.get_columns: duckdb_engine's reflection queries
        # pg_catalog.pg_collation, which DuckDB does not have.
        present = {r[0] for r in conn.execute(sa.text(
            "select column_name from information_schema.columns "
            "where table_schema = :s and table_name = :t"), {"s": RAW_SCHEMA, "t": table.name})}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(sa.text(f'alter table {RAW_SCHEMA}.{table.name} '
                                     f'add column "{column.name}" {kind}'))


def _drop_unkeyed_drift_tests(conn: sa.Connection) -> None:
    """Drop a raw.drift_tests without reference_hash (an older contract keyed by day only): its
    tests cannot say which reference they used; the drift step recomputes them."""
    columns = {r[0] for r in conn.execute(sa.text(
        "select column_name from information_schema.columns "
        "where table_schema = :s and table_name = 'drift_tests'"), {"s": RAW_SCHEMA})}
    if columns and "reference_hash" not in columns:
        # PostgreSQL: the staging view over it goes too (dbt recreates it).
        cascade = " cascade" if conn.dialect.name == "postgresql" else ""
        conn.execute(sa.text(f"drop table {RAW_SCHEMA}.drift_tests{cascade}"))


def _init_spark(warehouse: Warehouse) -> list[str]:
    """The same schemas and tables on Spark: Parquet tables in the session's catalog, with the
    nullable columns of a newer contract added to older tables."""
    from orchestration.spark_connection import create_table_sql, spark_type
    spark = warehouse.spark_connection().spark
    for schema in SCHEMAS:
        spark.sql(f"create database if not exists {schema}")
    created = []
    for table in metadata.sorted_tables:
        name = f"{RAW_SCHEMA}.{table.name}"
        if not spark.catalog.tableExists(name):
            spark.sql(create_table_sql(table))
            created.append(table.name)
            continue
        present = {c.name for c in spark.catalog.listColumns(name)}
        added = [c for c in table.columns if c.name not in present and c.nullable]
        if added:
            spark.sql(f"alter table {name} add columns ("
                      + ", ".join(f"`{c.name}` {spark_type(c)}" for c in added) + ")")
    return created
