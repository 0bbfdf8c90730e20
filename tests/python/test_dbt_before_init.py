"""`dbt build` on a warehouse where `vigie init` has not run: one line naming the missing raw
tables and the command that creates them, not a database error per staging model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.warehouse import Warehouse, WarehouseConfig, default_project_dir
from orchestration.warehouse_init import init_warehouse


def dbt(*args: str, duckdb_path: Path, target_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIGIE_TARGET": "duckdb", "VIGIE_DUCKDB_PATH": str(duckdb_path)}
    return subprocess.run([str(Path(sys.executable).with_name("dbt")), *args, "--target-path",
                           str(target_path)], cwd=default_project_dir(), env=env,
                          capture_output=True, text=True, timeout=600)


def test_build_before_init_says_to_run_vigie_init(tmp_path):
    proc = dbt("build", duckdb_path=tmp_path / "vigie.duckdb", target_path=tmp_path / "target")
    assert proc.returncode != 0
    errors = [line for line in proc.stdout.splitlines() if "do not exist" in line]
    assert len(errors) == 1 and "raw.predictions" in errors[0]
    assert "run `vigie init` first" in errors[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Catalog Error" not in proc.stdout  # stopped before any model ran


def test_seeds_alone_and_a_build_after_init_pass_the_hook(tmp_path):
    path = tmp_path / "vigie.duckdb"
    assert dbt("seed", duckdb_path=path, target_path=tmp_path / "target").returncode == 0
    init_warehouse(Warehouse(WarehouseConfig.from_env(target="duckdb", duckdb_path=str(path))))
    proc = dbt("run", "--select", "staging", duckdb_path=path, target_path=tmp_path / "target")
    assert proc.returncode == 0, proc.stdout[-2000:]
