"""The cluster path of the spark target, against a Spark server started here: the Python steps
over Spark Connect (VIGIE_SPARK_REMOTE) and dbt over the Thrift server (profiles.yml's
spark_thrift output), the same SQL as the local session."""

from __future__ import annotations

import datetime as dt

import pytest
from spark_cluster import SparkCluster

from orchestration.dbt_runner import run_dbt
from orchestration.raw_contract import init_warehouse
from orchestration.simulation import simulate_into
from orchestration.warehouse import Warehouse, WarehouseConfig

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def cluster(spark_dir, tmp_path_factory):
    server = SparkCluster(tmp_path_factory.mktemp("cluster")).start()
    yield server
    # The client's session first: left open, it retries the stopped server when Python exits.
    from pyspark.sql.connect.session import SparkSession as ConnectSession
    session = ConnectSession.getActiveSession()
    if session is not None:
        session.stop()
    server.stop()


def test_a_cluster_takes_the_raw_contract_and_builds_the_marts_through_thrift(
        cluster, monkeypatch, tmp_path):
    monkeypatch.setenv("VIGIE_SPARK_HOST", "127.0.0.1")
    monkeypatch.setenv("VIGIE_SPARK_PORT", str(cluster.thrift_port))
    config = WarehouseConfig.from_env(target="spark", spark_remote=cluster.connect_url)
    assert (config.dbt_target, config.local_spark) == ("spark_thrift", False)
    warehouse = Warehouse(config)
    init_warehouse(warehouse)
    report = simulate_into(warehouse, days=2, per_day=40, scenario="clean", seed=3,
                           start_date=dt.date(2026, 2, 1), project_dir=config.project_dir)
    assert report.predictions.accepted == 80

    run_dbt(["build", "--select", "+schema_conformance"], config,
            target_path=str(tmp_path / "target"), capture=True)
    conformance = warehouse.query_df(
        "select window_date, sum(n_rows) as n from marts.schema_conformance "
        "where feature_name = 'age' group by window_date order by window_date")
    assert [str(d) for d in conformance["window_date"]] == ["2026-02-01", "2026-02-02"]
    assert conformance["n"].astype(int).tolist() == [40, 40]
