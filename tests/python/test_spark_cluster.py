"""The cluster path of the spark target, against a Spark server started here: the Python steps
over Spark Connect (VIGIE_SPARK_REMOTE) and dbt over the Thrift server (profiles.yml's
spark_thrift output), the same SQL as the local session."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from spark_cluster import SparkCluster

from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import WarehouseConfig, default_project_dir

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def cluster(spark_dir, tmp_path_factory):
    server = SparkCluster(tmp_path_factory.mktemp("cluster")).start()
    yield server
    server.stop()


def client(args: list[str], env: dict[str, str]) -> str:
    """Run a Vigie client of the cluster in a process of its own: pyspark refuses a Spark
    Connect session in a process that already runs a local one (the other Spark tests')."""
    proc = subprocess.run([sys.executable, *args], env=env, cwd=default_project_dir(),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_a_cluster_takes_the_raw_contract_and_builds_the_marts_through_thrift(
        cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_SPARK_HOST", "127.0.0.1")  # profiles.yml's spark_thrift
    monkeypatch.setenv("VIGIE_SPARK_PORT", str(cluster.thrift_port))
    env = {**os.environ, "VIGIE_SPARK_REMOTE": cluster.connect_url,
           "VIGIE_MODEL_STORE": str(tmp_path / "models")}
    config = WarehouseConfig.from_env(target="spark", spark_remote=cluster.connect_url)
    assert (config.dbt_target, config.local_spark) == ("spark_thrift", False)

    # `vigie simulate`: the raw contract, the initial model and ingestion, over Spark Connect
    out = client(["-m", "orchestration.cli", "simulate", "--target", "spark", "--days", "2",
                  "--per-day", "40", "--scenario", "clean", "--seed", "3",
                  "--start-date", "2026-02-01"], env)
    assert "predictions: received 80 · accepted 80" in out

    # dbt through the Thrift server (a process of its own on this path)
    run_dbt(["build", "--select", "+schema_conformance"],
            WarehouseConfig.from_env(target="spark", spark_remote=cluster.connect_url),
            target_path=str(tmp_path / "target"), capture=True)

    # the mart, read back over Spark Connect
    rows = json.loads(client(["-c", READ_CONFORMANCE], env).strip().splitlines()[-1])
    assert rows == [["2026-02-01", 40], ["2026-02-02", 40]]


READ_CONFORMANCE = """
import json
from orchestration.warehouse import Warehouse, WarehouseConfig
frame = Warehouse(WarehouseConfig.from_env(target="spark")).query_df(
    "select window_date, sum(n_rows) as n from marts.schema_conformance "
    "where feature_name = 'age' group by window_date order by window_date")
print(json.dumps([[str(d), int(n)] for d, n in zip(frame["window_date"], frame["n"])]))
"""
