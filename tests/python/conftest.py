"""Shared fixtures: a fresh warehouse per test on DuckDB (a file under tmp_path) and PostgreSQL
(a throw-away database on the local server; skipped without one unless VIGIE_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import importlib.util
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from orchestration.warehouse import Warehouse, WarehouseConfig

PG_HOST = os.environ.get("VIGIE_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("VIGIE_PG_PORT", "5432"))
PG_USER = os.environ.get("VIGIE_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("VIGIE_PG_ADMIN_DATABASE", "postgres")

# Every dbt build of the suite (and the dbt and vigie processes it starts) bootstraps the
# fairness intervals 40 times, not the seed's 200: their cost grows with the count, and only
# test_fairness_intervals.py, which compares them with fairlearn's, needs the seed's count (it
# lifts this for its builds). Intervals still exist, so every check that reads them still can
# fail.
os.environ.setdefault("VIGIE_BOOTSTRAP_RESAMPLES", "40")

# The files that take longest (measured with --durations on the whole suite, heaviest first).
# `--dist loadfile` hands files to the two workers in collection order, so a heavy file
# collected last runs alone at the end while the other worker idles; started first, the
# lighter files fill in behind them. Only the order changes: each file stays on one worker.
SLOW_FILES_FIRST = (
    "test_incremental_sequences.py",  # a dozen monitoring builds per engine
    "test_spark_equality.py",  # one warehouse built on DuckDB and on Spark: about 5 minutes
    "test_bench_pipeline.py",  # the whole job end to end: minutes, even at 600 rows
    "test_alerts.py",  # three builds and a Dagster job per engine
    "test_dagster_pipeline.py", "test_audit_migration.py", "test_fuzz.py",
    "test_performance_marts.py", "test_seasonal_baselines.py", "test_multivariate_drift.py",
    "test_fairness_marts.py", "test_training_examples.py", "test_monitoring_marts.py",
    "test_gate_marts.py", "test_cli_build_sequence.py", "test_dagster_postgres.py",
    "test_dagster_materialize_all.py", "test_vigie_run.py", "test_gate_property.py",
    "test_kill.py", "test_generic_tests.py", "test_grants.py", "test_dbt_before_init.py",
    "test_spark_cluster.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    """Heavy files first (SLOW_FILES_FIRST); a stable sort keeps each file's own order."""
    rank = {name: position for position, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def _admin_engine() -> sa.Engine:
    url = sa.URL.create("postgresql+psycopg2", username=PG_USER, host=PG_HOST, port=PG_PORT,
                        database=PG_ADMIN_DB,
                        password=os.environ.get("VIGIE_PG_PASSWORD") or None)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def postgres_available() -> bool:
    try:
        with _admin_engine().connect() as conn:
            conn.execute(sa.text("select 1"))
        return True
    except Exception:
        return False


def require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("VIGIE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"VIGIE_REQUIRE_POSTGRES=1 but no PostgreSQL at {PG_HOST}:{PG_PORT}")
    pytest.skip(f"no PostgreSQL server at {PG_HOST}:{PG_PORT}")


def make_config(target: str, tmp_path) -> tuple[WarehouseConfig, callable]:
    """A config for a new, empty warehouse and a function that removes it."""
    if target == "duckdb":
        config = WarehouseConfig.from_env(target="duckdb",
                                          duckdb_path=str(tmp_path / "vigie.duckdb"))
        return config, lambda: None
    require_postgres()
    database = f"vigie_test_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'create database "{database}"'))
    config = WarehouseConfig.from_env(target="postgres", pg_database=database)

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{database}" with (force)'))
        engine.dispose()

    return config, drop


def require_spark() -> None:
    """Skip without the [spark] extra, unless VIGIE_REQUIRE_SPARK=1 (CI) makes that a failure."""
    if importlib.util.find_spec("pyspark") and importlib.util.find_spec("dbt.adapters.spark"):
        return
    if os.environ.get("VIGIE_REQUIRE_SPARK") == "1":
        pytest.fail('VIGIE_REQUIRE_SPARK=1 but pyspark or dbt-spark is missing '
                    '(pip install -e ".[spark]")')
    pytest.skip('the spark target needs pip install -e ".[spark]"')


@pytest.fixture(scope="session")
def spark_dir(tmp_path_factory) -> Path:
    """The one local Spark warehouse of this test process: a process holds one (its catalog's
    lock), so tests share it and empty it first (spark_config)."""
    require_spark()
    return tmp_path_factory.mktemp("spark")


@pytest.fixture
def spark_config(spark_dir) -> WarehouseConfig:
    """An empty Spark warehouse: the process's one, its schemas dropped."""
    require_spark()
    config = WarehouseConfig.from_env(target="spark", spark_dir=str(spark_dir))
    spark = Warehouse(config).spark_connection().spark
    for schema in ("raw", "staging", "intermediate", "marts"):
        spark.sql(f"drop database if exists {schema} cascade")
    return config


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_config(request, tmp_path) -> WarehouseConfig:
    """An empty warehouse on each engine."""
    config, drop = make_config(request.param, tmp_path)
    yield config
    drop()


@pytest.fixture
def postgres_config(tmp_path) -> WarehouseConfig:
    config, drop = make_config("postgres", tmp_path)
    yield config
    drop()


@pytest.fixture
def duckdb_config(tmp_path) -> WarehouseConfig:
    config, _ = make_config("duckdb", tmp_path)
    return config


@pytest.fixture
def warehouse(warehouse_config) -> Warehouse:
    return Warehouse(warehouse_config)


@pytest.fixture
def dbt_target_path(tmp_path) -> str:
    """A private dbt target/ folder, so tests running side by side do not share artefacts."""
    path = tmp_path / "dbt_target"
    path.mkdir()
    return str(path)
