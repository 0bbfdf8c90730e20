"""The spark target's Python side: the session built from profiles.yml, the connection shim the
steps write and read through, the raw contract as Parquet tables."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa

from orchestration.raw_contract import metadata
from orchestration.raw_facts import evaluation_scores
from orchestration.spark import ERR_OTHER_WAREHOUSE, session_parameters, spark_session
from orchestration.spark_connection import create_table_sql, naive_utc, sql_string
from orchestration.warehouse import (
    Warehouse,
    WarehouseConfig,
    default_project_dir,
    delete_where,
    has_relation,
    relation_names,
)
from orchestration.warehouse_init import init_warehouse

pytestmark = pytest.mark.spark


def test_session_parameters_are_profiles_yml_rendered_with_the_environment():
    env = {"VIGIE_SPARK_DIR": "/data/vigie", "VIGIE_SPARK_SHUFFLE_PARTITIONS": "16"}
    parameters = session_parameters(default_project_dir(), env)
    assert parameters["spark.sql.warehouse.dir"] == "/data/vigie/tables"
    assert parameters["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        "jdbc:derby:;databaseName=/data/vigie/metastore_db;create=true")
    assert parameters["spark.sql.shuffle.partitions"] == "16"
    assert parameters["spark.sql.session.timeZone"] == "UTC"
    # a variable left unset takes the profile's default, as dbt renders it
    assert parameters["spark.driver.memory"] == "4g"


def test_every_raw_table_has_a_spark_definition_and_evaluations_are_partitioned():
    for table in metadata.sorted_tables:
        sql = create_table_sql(table)
        assert sql.startswith(f"create table if not exists raw.{table.name} (")
        assert all(f"`{c.name}` " in sql for c in table.columns)
    assert create_table_sql(evaluation_scores).endswith("partitioned by (`evaluation_id`)")
    assert create_table_sql(metadata.tables["raw.predictions"]).endswith("using parquet")


def test_a_feature_name_is_quoted_for_the_target():
    from orchestration.assets.training_data import quote_identifier
    assert quote_identifier('odd "name"') == '"odd ""name"""'
    assert quote_identifier("odd `name`", "spark") == "`odd ``name```"


def test_sql_string_escapes_quotes_and_backslashes():
    assert sql_string("it's") == "'it\\'s'"
    assert sql_string("a\\b") == "'a\\\\b'"


def test_naive_utc_drops_the_zone_and_keeps_the_instant():
    zoned = pa.table({"t": pa.array([dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)],
                                    pa.timestamp("us", tz="UTC")), "n": [1]})
    plain = naive_utc(zoned)
    assert plain.schema.field("t").type == pa.timestamp("us")
    assert plain.column("t")[0].as_py() == dt.datetime(2026, 3, 1, 10)
    assert plain.column("n").to_pylist() == [1]


def test_init_creates_the_contract_once_and_the_steps_read_and_write_through_it(spark_config):
    warehouse = Warehouse(spark_config)
    created = init_warehouse(warehouse)
    assert sorted(created) == sorted(t.name for t in metadata.sorted_tables)
    assert init_warehouse(warehouse) == []
    assert warehouse.table_exists("raw", "predictions")
    assert not warehouse.table_exists("raw", "no_such_table")

    at = dt.datetime(2026, 3, 1, 10, 30)
    with warehouse.connect() as conn:
        # an insert statement, as the registry and batch log write
        conn.execute(sa.insert(metadata.tables["raw.feature_contributions"]).values(
            model_name="m", model_version="v1", feature_name="age",
            mean_abs_contribution=0.25, n_rows=10, computed_at=at))
        rows = conn.execute(sa.text(
            "select feature_name, mean_abs_contribution, computed_at "
            "from raw.feature_contributions where model_version = :v"), {"v": "v1"})
        assert rows.keys() == ["feature_name", "mean_abs_contribution", "computed_at"]
        assert rows.mappings().all() == [{"feature_name": "age", "mean_abs_contribution": 0.25,
                                          "computed_at": at}]
        assert conn.execute(sa.text("select count(*) from raw.feature_contributions "
                                    "where model_version = :v"), {"v": "v2"}).scalar() == 0
    read = warehouse.query_arrow("select computed_at from raw.feature_contributions")
    assert read.schema.field("computed_at").type == pa.timestamp("us")
    assert read.column("computed_at")[0].as_py() == at


def test_relations_are_found_in_the_catalog_views_included(spark_config):
    warehouse = Warehouse(spark_config)
    init_warehouse(warehouse)
    with warehouse.connect() as conn:
        conn.execute(sa.text("create view marts.one_row as select 1 as n"))
        assert has_relation(conn, "marts", "one_row")
        assert has_relation(conn, "raw", "predictions")
        assert not has_relation(conn, "marts", "predictions")
        assert relation_names(conn, "marts") == {"one_row"}
        assert relation_names(conn, "no_such_schema") == set()


def test_an_evaluation_rerun_replaces_its_own_rows_only(spark_config):
    warehouse = Warehouse(spark_config)
    init_warehouse(warehouse)
    at = dt.datetime(2026, 3, 1)

    def scores(evaluation_id: str, n: int) -> pa.Table:
        return pa.table({"evaluation_id": [evaluation_id] * n, "model_name": ["m"] * n,
                         "model_version": ["v2"] * n, "role": ["candidate"] * n,
                         "prediction_id": [f"p{i}" for i in range(n)], "score": [0.5] * n,
                         "decision": ["approved"] * n, "outcome": ["repaid"] * n,
                         "scored_at": pa.array([at] * n, pa.timestamp("us"))})

    from orchestration.warehouse import load_arrow
    with warehouse.connect() as conn:
        load_arrow(conn, "spark", "raw.evaluation_scores", scores("e'1", 3))
        load_arrow(conn, "spark", "raw.evaluation_scores", scores("e2", 2))
        delete_where(conn, "spark", "raw.evaluation_scores", "evaluation_id", "e'1")
        load_arrow(conn, "spark", "raw.evaluation_scores", scores("e'1", 1))
    counts = warehouse.query_df("select evaluation_id, count(*) as n from raw.evaluation_scores "
                                "group by evaluation_id order by evaluation_id")
    assert counts.to_dict("list") == {"evaluation_id": ["e'1", "e2"], "n": [1, 2]}


def test_a_process_serves_one_local_spark_warehouse(spark_config, tmp_path):
    other = WarehouseConfig.from_env(target="spark", spark_dir=str(tmp_path / "other"))
    with pytest.raises(RuntimeError) as error:
        spark_session(other.project_dir, other.dbt_env())
    assert str(error.value) == ERR_OTHER_WAREHOUSE.format(
        serves=spark_config.resolved_spark_dir + "/tables",
        wanted=other.resolved_spark_dir + "/tables")
