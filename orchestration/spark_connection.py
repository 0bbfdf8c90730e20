"""The part of a SQLAlchemy connection that Vigie's Python steps use, over a SparkSession.

SQLAlchemy has no dialect for an in-process SparkSession, and the steps' SQL is plain text with
:named parameters, which Spark SQL binds itself (`spark.sql(text, args=...)`), so a thin shim
lets the same code run on the `spark` target. Spark's Parquet tables have no transactions:
`begin()` is a no-op, and a step interrupted between two writes is made whole by its re-run,
which skips what was stored (every raw write is idempotent by id).
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

ERR_STATEMENT = "the spark target runs text SQL and inserts, not {kind}"

# SQLAlchemy types → Spark SQL types, for the raw contract's DDL.
SPARK_TYPES = [
    (sa.BigInteger, "bigint"),
    (sa.Integer, "int"),
    (sa.Double, "double"),
    (sa.Float, "double"),
    (sa.Boolean, "boolean"),
    (sa.DateTime, "timestamp"),
    (sa.Date, "date"),
    (sa.JSON, "string"),  # the JSON text; models parse it (parse_json)
    (sa.String, "string"),
]


def spark_type(column: sa.Column) -> str:
    for kind, name in SPARK_TYPES:
        if isinstance(column.type, kind):
            return name
    raise TypeError(f"no Spark type for {column.table.name}.{column.name}: {column.type!r}")


def create_table_sql(table: sa.Table) -> str:
    columns = ", ".join(f"`{c.name}` {spark_type(c)}" for c in table.columns)
    partition = table.info.get("spark_partition_by")
    return (f"create table if not exists {table.schema}.{table.name} ({columns}) "
            f"using parquet" + (f" partitioned by (`{partition}`)" if partition else ""))


def sql_string(value: str) -> str:
    """A Spark SQL string literal (DDL takes no parameters)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class SparkResult:
    """The rows of a statement, fetched at once (the steps' small reads)."""

    def __init__(self, columns: list[str], rows: list[tuple]):
        self._columns = columns
        self._rows = rows

    def keys(self) -> list[str]:
        return list(self._columns)

    def fetchall(self) -> list[tuple]:
        return list(self._rows)

    def __iter__(self):
        return iter(self._rows)

    def first(self):
        return self._rows[0] if self._rows else None

    def scalar(self):
        return self._rows[0][0] if self._rows else None

    def mappings(self) -> MappingRows:
        return MappingRows(dict(zip(self._columns, row, strict=True)) for row in self._rows)

    def all(self) -> list[tuple]:
        return list(self._rows)


class MappingRows(list):
    """Rows as dicts, read as SQLAlchemy's MappingResult is (iterated, or `.all()`)."""

    def all(self) -> list[dict]:
        return list(self)

    def first(self) -> dict | None:
        return self[0] if self else None


class SparkConnection:
    """`execute`, `begin`, `dialect.name` of a SQLAlchemy connection, on a SparkSession."""

    dialect = SimpleNamespace(name="spark")
    invalidated = False
    closed = False

    def __init__(self, spark):
        self.spark = spark

    def begin(self):
        return nullcontext(self)

    def execute(self, statement, params: dict | None = None) -> SparkResult:
        if isinstance(statement, sa.Insert):
            compiled = statement.compile()
            values = {name: compiled.params[name] for name in compiled.params}
            table = statement.table
            load_spark_arrow(self.spark, f"{table.schema}.{table.name}",
                             pa.table({k: [v] for k, v in values.items()}))
            return SparkResult([], [])
        if not isinstance(statement, sa.TextClause):
            raise TypeError(ERR_STATEMENT.format(kind=type(statement).__name__))
        frame = self.sql(statement.text, params)
        rows = [tuple(row) for row in frame.collect()]
        return SparkResult(frame.columns, rows)

    def sql(self, text: str, params: dict | None = None):
        """A DataFrame of `text` with its :named parameters bound by Spark."""
        return self.spark.sql(text, args=params) if params else self.spark.sql(text)

    def query_arrow(self, text: str, params: dict | None = None) -> pa.Table:
        return naive_utc(self.sql(text, params).toArrow())


def naive_utc(table: pa.Table) -> pa.Table:
    """Spark hands timestamps back zoned in its session time zone (UTC); Vigie's `_at` values
    are zone-less UTC on every target."""
    for i, column in enumerate(table.schema):
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            naive = pc.cast(pc.cast(table.column(i), pa.timestamp("us", tz="UTC")),
                            pa.timestamp("us"))
            table = table.set_column(i, pa.field(column.name, pa.timestamp("us")), naive)
    return table


def load_spark_arrow(spark, table: str, data: pa.Table) -> None:
    """Append an Arrow table to a Spark table (columns matched by name) in one insert."""
    if data.num_rows == 0:
        return
    view = f"_vigie_chunk_{uuid.uuid4().hex}"
    spark.createDataFrame(data).createOrReplaceTempView(view)
    columns = ", ".join(f"`{c}`" for c in data.column_names)
    try:
        spark.sql(f"insert into {table} ({columns}) select {columns} from {view}")
    finally:
        spark.catalog.dropTempView(view)


def keyed_rows(spark, table: str, key: str, value_column: str, keys: list[str]) -> list[tuple]:
    """(key, value_column) of the rows of `table` whose key is among `keys`: a join with the
    keys as a small table, which Spark broadcasts."""
    view = f"_vigie_keys_{uuid.uuid4().hex}"
    spark.createDataFrame(pa.table({"k": pa.array(keys, pa.string())})) \
        .createOrReplaceTempView(view)
    try:
        frame = spark.sql(f"select t.`{key}`, t.`{value_column}` from {table} t "
                          f"join {view} on t.`{key}` = {view}.k")
        return [tuple(row) for row in frame.collect()]
    finally:
        spark.catalog.dropTempView(view)
