"""dbt's unit tests, on DuckDB and PostgreSQL (Spark's: test_spark_equality.py). Vigie's own
builds leave them out (orchestration/dbt_runner.PRODUCTION_DBT_ENV): they check the SQL, not
the data, so they run here, once per engine, on a warehouse whose relations exist (a unit test
reads its inputs' column types from them). Every unit test of the project runs and passes; a
build through Vigie runs none."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from orchestration.dbt_runner import PRODUCTION_DBT_ENV, dbt_env, dbt_executable, run_dbt
from orchestration.warehouse import Warehouse, WarehouseConfig
from orchestration.warehouse_init import init_warehouse


def dbt(config: WarehouseConfig, target: Path, *args: str) -> subprocess.CompletedProcess:
    """dbt as CI runs it: with none of Vigie's production settings."""
    env = {k: v for k, v in dbt_env(config, str(target)).items() if k not in PRODUCTION_DBT_ENV}
    return subprocess.run([dbt_executable(), *args, "--target", config.dbt_target],
                          cwd=config.project_dir, env=env, capture_output=True, text=True,
                          check=False)


def unit_tests_in(run_results: Path) -> dict[str, str]:
    results = json.loads(run_results.read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results
            if r["unique_id"].startswith("unit_test.")}


def test_every_unit_test_passes_on_each_engine_and_builds_leave_them_out(
        warehouse_config, tmp_path):
    target = tmp_path / "dbt_target"
    init_warehouse(Warehouse(warehouse_config))
    run_dbt(["build"], warehouse_config, target_path=str(target), capture=True)
    assert unit_tests_in(target / "run_results.json") == {}, "a Vigie build ran unit tests"

    done = dbt(warehouse_config, target, "test", "--select", "test_type:unit")
    assert done.returncode == 0, done.stdout[-4000:]
    ran = unit_tests_in(target / "run_results.json")
    manifest = json.loads((target / "manifest.json").read_text())
    declared = set(manifest["unit_tests"])
    assert len(declared) >= 20 and set(ran) == declared
    assert set(ran.values()) == {"pass"}

