"""The proof that the marts are portable: the same simulated warehouse built on DuckDB and on
Spark (dbt-spark, a local session) gives every mart the same rows — numbers to 1e-9, the KS and
chi-square p-values to 1e-6 (scipy's exact and asymptotic paths round differently across
platforms at that order, not above).

Slow (a Spark build is several minutes on two cores): `pytest -m "not spark"` skips it.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from orchestration.build import build_warehouse
from orchestration.dbt_runner import run_dbt_in_process
from orchestration.simulation import simulate_into
from orchestration.warehouse import Warehouse, WarehouseConfig
from orchestration.warehouse_init import init_warehouse

START = dt.date(2026, 1, 5)
DAYS = 8
PER_DAY = 250
SEED = 7
PVALUE_TOLERANCE = 1e-6
NUMBER_TOLERANCE = 1e-9
# Written with the wall clock of the build that made them, or a hash of such times (a day's
# window_state hashes its rows' latest ingested_at): they differ between any two builds, on one
# engine as on two (two DuckDB builds of the seed differ in exactly these).
RUN_TIME_COLUMNS = {"computed_at", "trained_at", "registered_at", "stage_changed_at",
                    "decided_at", "evaluated_at", "last_ingested_at", "last_drift_test_at",
                    "window_state", "checked_at", "latest_ingested_at",
                    "hours_since_latest_score", "hours_since_latest_ingestion"}
# The one alert whose id, time and message are the build's own: staleness, measured at it.
RUN_TIME_ROWS = {"alerts": "check_name <> 'stale'"}


def build(config: WarehouseConfig, target_path) -> Warehouse:
    warehouse = Warehouse(config)
    init_warehouse(warehouse)
    simulate_into(warehouse, days=DAYS, per_day=PER_DAY, scenario="migration", seed=SEED,
                  start_date=START, project_dir=config.project_dir)
    build_warehouse(config, target_path=str(target_path), capture=True)
    return warehouse


@pytest.fixture(scope="module")
def warehouses(spark_dir, tmp_path_factory) -> tuple[Warehouse, Warehouse]:
    root = tmp_path_factory.mktemp("equality")
    duckdb = build(WarehouseConfig.from_env(target="duckdb",
                                            duckdb_path=str(root / "vigie.duckdb")),
                   root / "target-duckdb")
    spark_config = WarehouseConfig.from_env(target="spark", spark_dir=str(spark_dir))
    spark = Warehouse(spark_config).spark_connection().spark
    for schema in ("raw", "staging", "intermediate", "marts"):
        spark.sql(f"drop database if exists {schema} cascade")
    return duckdb, build(spark_config, root / "target-spark")


def mart_names(duckdb: Warehouse) -> list[str]:
    frame = duckdb.query_df("select table_name from information_schema.tables "
                            "where table_schema = 'marts' order by table_name")
    # `vigie audit`'s marts are not built on Spark (dbt_project.yml: models/*/audit)
    return [name for name in frame["table_name"] if not name.startswith("audit_")]


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without run-time columns, rows in a canonical order (every column, floats
    rounded for the ordering only), column names lower-cased (Spark's catalog lower-cases)."""
    frame = frame.rename(columns=str.lower)
    frame = frame.drop(columns=[c for c in frame.columns if c in RUN_TIME_COLUMNS])
    frame = frame[sorted(frame.columns)]
    order = pd.DataFrame({c: (frame[c].astype(float).round(6)
                              if pd.api.types.is_float_dtype(frame[c]) else frame[c].astype(str))
                          for c in frame.columns})
    return frame.loc[order.sort_values(list(order.columns)).index].reset_index(drop=True)


def assert_same_rows(name: str, left: pd.DataFrame, right: pd.DataFrame) -> None:
    left, right = comparable(left), comparable(right)
    assert list(left.columns) == list(right.columns), name
    assert len(left) == len(right), f"{name}: {len(left)} rows on DuckDB, {len(right)} on Spark"
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            tolerance = PVALUE_TOLERANCE if "pvalue" in column else NUMBER_TOLERANCE
            x, y = a.astype(float).to_numpy(), pd.to_numeric(b).astype(float).to_numpy()
            same = np.isclose(x, y, rtol=0, atol=tolerance, equal_nan=True)
            assert same.all(), (f"{name}.{column}: {x[~same][:5]} on DuckDB, "
                                f"{y[~same][:5]} on Spark")
        else:
            x, y = [normal(v) for v in a], [normal(v) for v in b]
            diff = [i for i, (u, v) in enumerate(zip(x, y, strict=True)) if u != v]
            assert not diff, (f"{name}.{column}: {[x[i] for i in diff[:5]]} on DuckDB, "
                              f"{[y[i] for i in diff[:5]]} on Spark")


def normal(value):
    """One spelling per value across engines: every missing value is None, dates and
    timestamps are text."""
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return str(pd.Timestamp(value))
    return value


def test_the_comparison_ignores_row_order_and_catches_a_difference_of_1e_8():
    left = pd.DataFrame({"day": ["d1", "d2"], "rate": [0.5, 0.25], "pvalue": [0.01, 0.2],
                         "label": ["a", None], "computed_at": [1, 2]})
    right = left.iloc[::-1].assign(computed_at=[7, 8]).rename(columns={"rate": "RATE"})
    assert_same_rows("m", left, right)  # another order, other run times, upper-case name
    with pytest.raises(AssertionError, match="m.rate"):
        assert_same_rows("m", left, right.assign(RATE=right["RATE"] + 1e-8))
    assert_same_rows("m", left, right.assign(pvalue=right["pvalue"] + 5e-7))
    with pytest.raises(AssertionError, match="m.pvalue"):
        assert_same_rows("m", left, right.assign(pvalue=right["pvalue"] + 2e-6))
    with pytest.raises(AssertionError, match="m.label"):
        assert_same_rows("m", left, right.assign(label=["a", "b"]))
    with pytest.raises(AssertionError, match="1 on Spark"):
        assert_same_rows("m", left, right.iloc[:1])


@pytest.mark.spark
def test_every_mart_has_the_same_rows_on_spark_as_on_duckdb(warehouses):
    duckdb, spark = warehouses
    names = mart_names(duckdb)
    assert len(names) >= 20
    for name in names:
        where = f" where {RUN_TIME_ROWS[name]}" if name in RUN_TIME_ROWS else ""
        assert_same_rows(name, duckdb.query_df(f"select * from marts.{name}{where}"),
                         spark.query_df(f"select * from marts.{name}{where}"))


@pytest.mark.spark
def test_the_story_is_the_same_drift_days_and_parity(warehouses):
    duckdb, spark = warehouses
    sql = ("select window_date, model_version, status, drifted_features "
           "from marts.drift_summary order by window_date, model_version")
    drift = duckdb.query_df(sql)
    assert (drift["status"] == "alert").any()  # the migration is seen at all
    assert_same_rows("drift_summary", drift, spark.query_df(sql))


@pytest.mark.spark
def test_every_unit_test_of_the_spark_project_passes_on_spark(warehouses, tmp_path):
    # Vigie's builds leave dbt's unit tests out (test_dbt_unit_tests.py): here they run on the
    # Spark warehouse just built, whose relations give them their inputs' column types.
    _, spark = warehouses
    done = run_dbt_in_process(["test", "--select", "test_type:unit"], spark.config,
                              target_path=tmp_path)
    assert done.returncode == 0
    ran = {r["unique_id"]: r["status"] for r in
           json.loads((tmp_path / "run_results.json").read_text())["results"]
           if r["unique_id"].startswith("unit_test.")}  # not the on-run hooks
    declared = set(json.loads((tmp_path / "manifest.json").read_text())["unit_tests"])
    assert len(declared) >= 15 and set(ran) == declared and set(ran.values()) == {"pass"}
