"""Connections to the warehouse (DuckDB file, PostgreSQL or Spark), opened per use and closed
after.

A DuckDB file takes one writing process at a time and dbt runs as a subprocess, so nothing
here keeps a connection open between calls. A local Spark warehouse is the exception: its
catalog belongs to one process, so it is this process's SparkSession (orchestration/spark.py),
kept for the life of the process, and dbt runs inside it.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

TARGETS = ("duckdb", "postgres", "spark")
DEFAULT_DUCKDB_PATH = "warehouse/vigie.duckdb"
DEFAULT_SPARK_DIR = "warehouse/spark"
ERR_UNKNOWN_TARGET = "unknown target {target!r}: choose one of duckdb, postgres, spark"
ERR_UNREACHABLE = "cannot reach the {target} warehouse at {where}: {reason}"
ERR_NO_DIRECTORY = ("no DuckDB warehouse at {path}: the folder {folder} does not exist "
                    "(check VIGIE_DUCKDB_PATH, or create it with `vigie init`)")
ERR_NO_DATABASE = "no DuckDB warehouse at {path} (create it with `vigie init`)"
ERR_LOCKED = ("the DuckDB warehouse at {path} is locked by another process "
              "(waited {seconds:g}s): {reason}")
# A DuckDB file takes one writer: wait this long for another process to let go of it.
LOCK_TIMEOUT_ENV = "VIGIE_DUCKDB_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0


class WarehouseError(RuntimeError):
    """A warehouse cannot be reached or refused an operation."""


@dataclass(frozen=True)
class WarehouseConfig:
    """Where the warehouse is; the same values are handed to dbt through the environment."""

    target: str = "duckdb"
    duckdb_path: str = DEFAULT_DUCKDB_PATH
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_password: str = ""
    pg_database: str = "postgres"
    spark_dir: str = DEFAULT_SPARK_DIR
    # A Spark cluster's Spark Connect address (sc://host:15002): the Python steps go there and
    # dbt goes through the cluster's Thrift server (profiles.yml's spark_thrift output).
    spark_remote: str = ""
    project_dir: str = field(default_factory=lambda: str(Path.cwd()))

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise WarehouseError(ERR_UNKNOWN_TARGET.format(target=self.target))

    @classmethod
    def from_env(cls, target: str | None = None, **overrides) -> WarehouseConfig:
        """Read VIGIE_* variables, the same ones profiles.yml reads."""
        env = os.environ
        values = dict(
            target=target or env.get("VIGIE_TARGET", "duckdb"),
            duckdb_path=env.get("VIGIE_DUCKDB_PATH", DEFAULT_DUCKDB_PATH),
            pg_host=env.get("VIGIE_PG_HOST", "127.0.0.1"),
            pg_port=int(env.get("VIGIE_PG_PORT", "5432")),
            pg_user=env.get("VIGIE_PG_USER", "postgres"),
            pg_password=env.get("VIGIE_PG_PASSWORD", ""),
            pg_database=env.get("VIGIE_PG_DATABASE", "postgres"),
            spark_dir=env.get("VIGIE_SPARK_DIR", DEFAULT_SPARK_DIR),
            spark_remote=env.get("VIGIE_SPARK_REMOTE", ""),
            project_dir=env.get("VIGIE_PROJECT_DIR", str(default_project_dir())),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def where(self) -> str:
        if self.target == "duckdb":
            return self.resolved_duckdb_path
        if self.target == "spark":
            return self.spark_remote or self.resolved_spark_dir
        return f"{self.pg_host}:{self.pg_port}/{self.pg_database}"

    def _from_project(self, path: str) -> str:
        """`path` as it is when absolute, else from the project directory."""
        resolved = Path(path)
        return str(resolved if resolved.is_absolute() else Path(self.project_dir) / resolved)

    @property
    def resolved_duckdb_path(self) -> str:
        return self._from_project(self.duckdb_path)

    @property
    def local_spark(self) -> bool:
        """Spark in this process (a SparkSession of its own), not a cluster."""
        return self.target == "spark" and not self.spark_remote

    @property
    def dbt_target(self) -> str:
        """The profiles.yml output dbt uses: a Spark cluster is reached through its Thrift
        server (spark_thrift), a local Spark through a session in this process (spark)."""
        return "spark_thrift" if self.target == "spark" and self.spark_remote else self.target

    @property
    def resolved_spark_dir(self) -> str:
        """The local Spark warehouse: its tables and its catalog (metastore_db)."""
        return self._from_project(self.spark_dir)

    def url(self) -> sa.URL:
        if self.target == "duckdb":
            return sa.URL.create("duckdb", database=self.resolved_duckdb_path)
        return sa.URL.create(
            "postgresql+psycopg2",
            username=self.pg_user,
            password=self.pg_password or None,
            host=self.pg_host,
            port=self.pg_port,
            database=self.pg_database,
        )

    def dbt_env(self) -> dict[str, str]:
        """Environment variables that point profiles.yml at this warehouse."""
        return {
            "VIGIE_TARGET": self.dbt_target,
            "VIGIE_DUCKDB_PATH": self.resolved_duckdb_path,
            "VIGIE_PG_HOST": self.pg_host,
            "VIGIE_PG_PORT": str(self.pg_port),
            "VIGIE_PG_USER": self.pg_user,
            "VIGIE_PG_PASSWORD": self.pg_password,
            "VIGIE_PG_DATABASE": self.pg_database,
            "VIGIE_SPARK_DIR": self.resolved_spark_dir,
            "VIGIE_SPARK_REMOTE": self.spark_remote,
        }


def default_project_dir() -> Path:
    """The dbt project root: the folder holding dbt_project.yml next to this package."""
    return Path(__file__).resolve().parent.parent


class Warehouse:
    """Short-lived access to one warehouse: every method opens and closes its connection.

    A DuckDB file is created only where it is expected: its folder must exist, unless `create`
    is set (`vigie init`) or the path is Vigie's default; a typo is an error, not a new, empty
    warehouse. `read_only` opens DuckDB read-only and refuses a file that does not exist.
    """

    def __init__(self, config: WarehouseConfig, *, create: bool = False,
                 read_only: bool = False):
        self.config = config
        self.create = create
        self.read_only = read_only

    @property
    def target(self) -> str:
        return self.config.target

    def _engine(self) -> sa.Engine:
        if self.target != "duckdb":
            return sa.create_engine(self.config.url(), poolclass=NullPool)
        path = Path(self.config.resolved_duckdb_path)
        if self.read_only and not path.exists():
            raise WarehouseError(ERR_NO_DATABASE.format(path=path))
        if not path.parent.is_dir():
            if not (self.create or self.config.duckdb_path == DEFAULT_DUCKDB_PATH):
                raise WarehouseError(ERR_NO_DIRECTORY.format(path=path, folder=path.parent))
            path.parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"read_only": True} if self.read_only else {}
        return sa.create_engine(self.config.url(), poolclass=NullPool,
                                connect_args=connect_args)

    def _connect(self, engine: sa.Engine) -> sa.Connection:
        """A connection; on DuckDB, wait a while for another process to release the file."""
        deadline = time.monotonic() + lock_timeout()
        while True:
            try:
                return engine.connect()
            except Exception as exc:  # any driver error here means the warehouse is unreachable
                reason = _first_line(exc)
                if self.target == "duckdb" and "lock" in reason.lower():
                    if time.monotonic() < deadline:
                        time.sleep(0.2)
                        continue
                    raise WarehouseError(ERR_LOCKED.format(
                        path=self.config.where, seconds=lock_timeout(), reason=reason)) from exc
                raise WarehouseError(ERR_UNREACHABLE.format(
                    target=self.target, where=self.config.where, reason=reason)) from exc

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A transaction on a fresh connection, committed on success, closed after."""
        with self.session() as conn, conn.begin():
            yield conn

    def spark_connection(self):
        """This process's SparkSession behind the connection calls Vigie makes."""
        from orchestration.spark import spark_session
        from orchestration.spark_connection import SparkConnection
        return SparkConnection(spark_session(self.config.project_dir, self.config.dbt_env()))

    @contextmanager
    def session(self) -> Iterator[sa.Connection]:
        """One connection for several transactions (the caller opens them with conn.begin())."""
        if self.target == "spark":
            yield self.spark_connection()
            return
        engine = self._engine()
        try:
            conn = self._connect(engine)
            with conn:
                yield conn
        finally:
            engine.dispose()

    def execute(self, sql: str, params: dict | None = None) -> None:
        with self.connect() as conn:
            conn.execute(sa.text(sql), params or {})

    def query_arrow(self, sql: str, params: dict | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""
        if self.target == "spark":
            return self.spark_connection().query_arrow(sql, params)
        with self.connect() as conn:
            if self.target == "duckdb" and not params:
                # DuckDB hands Arrow back without a row-by-row detour through Python.
                return conn.connection.driver_connection.sql(sql).to_arrow_table()
            result = conn.execute(sa.text(sql), params or {})
            columns = list(result.keys())
            rows = result.fetchall()
        return pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})

    def query_df(self, sql: str, params: dict | None = None):
        """Run a query and return a pandas frame (small results only)."""
        return self.query_arrow(sql, params).to_pandas()

    def scalar(self, sql: str, params: dict | None = None):
        with self.connect() as conn:
            return conn.execute(sa.text(sql), params or {}).scalar()

    def table_exists(self, schema: str, table: str) -> bool:
        with self.connect() as conn:
            return has_relation(conn, schema, table)


def load_arrow(conn: sa.Connection, target: str, table: str, data: pa.Table) -> None:
    """Bulk-load an Arrow table into an existing table (columns matched by name)."""
    if data.num_rows == 0:
        return
    if target == "spark":
        from orchestration.spark_connection import load_spark_arrow
        load_spark_arrow(conn.spark, table, data)
        return
    columns = ", ".join(f'"{c}"' for c in data.column_names)
    if target == "duckdb":
        raw = conn.connection.driver_connection
        raw.register("_vigie_chunk", data)
        try:
            raw.execute(f"insert into {table} ({columns}) select {columns} from _vigie_chunk")
        finally:
            raw.unregister("_vigie_chunk")
        return
    buffer = io.BytesIO()
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    pa_csv.write_csv(data, buffer, options)
    buffer.seek(0)
    cursor = conn.connection.driver_connection.cursor()
    cursor.copy_expert(f"copy {table} ({columns}) from stdin with (format csv)", buffer)


def has_relation(conn: sa.Connection, schema: str, name: str) -> bool:
    """A table or view `schema.name` exists (SQLAlchemy's inspector; Spark's catalog)."""
    if conn.dialect.name == "spark":
        return conn.spark.catalog.tableExists(f"{schema}.{name}")
    return sa.inspect(conn).has_table(name, schema=schema)


def relation_names(conn: sa.Connection, schema: str) -> set[str]:
    """The tables and views of `schema`, none when it does not exist."""
    if conn.dialect.name == "spark":
        spark = conn.spark
        if not spark.catalog.databaseExists(schema):
            return set()
        return {t.name for t in spark.catalog.listTables(schema) if not t.isTemporary}
    inspector = sa.inspect(conn)
    if not inspector.has_schema(schema):
        return set()
    return (set(inspector.get_table_names(schema=schema))
            | set(inspector.get_view_names(schema=schema)))


def delete_where(conn: sa.Connection, target: str, table: str, column: str, value) -> None:
    """Delete the rows of `table` whose `column` equals `value`. On Spark the column must be
    the table's partition column (its Parquet tables delete nothing else): the partition goes."""
    if target == "spark":
        from orchestration.spark_connection import sql_string
        conn.spark.sql(f"alter table {table} drop if exists partition "
                       f"(`{column}` = {sql_string(value)})")
        return
    conn.execute(sa.text(f"delete from {table} where {column} = :value"), {"value": value})


def lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
