"""Fault suite: no silent success. Every error the `vigie` command meets, through the real
console script in a subprocess, is one line on stderr and a non-zero exit, never a traceback
and never an empty page or a new, empty warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import make_config

from orchestration.warehouse import Warehouse
from orchestration.warehouse_init import init_warehouse

VIGIE = str(Path(sys.executable).with_name("vigie"))


def vigie(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "VIGIE_TARGET": "duckdb",
                "VIGIE_DUCKDB_PATH": str(cwd / "w.duckdb"), "VIGIE_DUCKDB_LOCK_TIMEOUT": "1",
                **env}
    full_env.pop("VIGIE_DEBUG", None)
    return subprocess.run([VIGIE, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, check=False, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess, message: str) -> None:
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("vigie: error:") and message in lines[0], lines[0]


def prediction_file(folder: Path) -> str:
    row = {"prediction_id": "p1", "model_name": "credit_risk", "model_version": "v1",
           "scored_at": "2026-03-01T10:00:00Z", "features": {"age": 30}, "score": 0.2,
           "decision": "approved"}
    (folder / "p.jsonl").write_text(json.dumps(row) + "\n")
    return str(folder / "p.jsonl")


@pytest.mark.parametrize(("args", "env", "message"), [
    (("ingest", "predictions", "missing.jsonl"), {}, "no such file"),
    (("ingest", "predictions", "p.jsonl", "--target", "oracle"), {}, "Invalid value"),
    (("ingest", "predictions", "p.jsonl"), {"VIGIE_TARGET": "oracle"}, "unknown target"),
    (("ingest", "predictions", "p.jsonl", "--target", "postgres"), {"VIGIE_PG_PORT": "1"},
     "cannot reach the postgres warehouse"),
    (("report", "--target", "postgres"), {"VIGIE_PG_PORT": "1"},
     "cannot reach the postgres warehouse"),
    (("report",), {}, "no DuckDB warehouse"),  # before: a new empty file and exit 0
    (("no-such-verb",), {}, "No such command"),
])
def test_cli_errors_are_one_line_and_non_zero(tmp_path, args, env, message):
    prediction_file(tmp_path)
    proc = vigie(*args, cwd=tmp_path, **env)
    assert_one_line_error(proc, message)
    assert not (tmp_path / "w.duckdb").exists()  # no failed command leaves a warehouse behind


def test_report_on_an_unreadable_warehouse_fails(tmp_path):
    (tmp_path / "w.duckdb").write_bytes(b"this is not a DuckDB file" * 100)
    proc = vigie("report", "--output", str(tmp_path / "r.html"), cwd=tmp_path)
    assert_one_line_error(proc, "cannot reach the duckdb warehouse")
    assert not (tmp_path / "r.html").exists()
    assert_one_line_error(vigie("ingest", "predictions", prediction_file(tmp_path),
                                cwd=tmp_path), "cannot reach the duckdb warehouse")


def test_report_and_ingest_on_a_locked_warehouse_fail_after_waiting(tmp_path):
    init_warehouse(_duckdb(tmp_path))
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(tmp_path / 'w.duckdb')!r})
        print("locked", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = vigie("report", "--output", str(tmp_path / "r.html"), cwd=tmp_path)
        assert_one_line_error(proc, "is locked by another process")
        assert not (tmp_path / "r.html").exists()
        assert_one_line_error(vigie("ingest", "predictions", prediction_file(tmp_path),
                                    cwd=tmp_path), "is locked by another process")
    finally:
        holder.kill()
        holder.wait()


def _duckdb(folder: Path) -> Warehouse:
    config, _ = make_config("duckdb", folder)
    return Warehouse(type(config)(**{**config.__dict__, "duckdb_path": str(folder / "w.duckdb")}))


def test_a_duckdb_path_with_a_typo_is_an_error_until_init_creates_it(tmp_path):
    path = tmp_path / "typo-folder" / "w.duckdb"
    proc = vigie("ingest", "predictions", prediction_file(tmp_path), cwd=tmp_path,
                 VIGIE_DUCKDB_PATH=str(path))
    assert_one_line_error(proc, "does not exist")
    assert not path.parent.exists()  # before: a new, empty warehouse there
    assert vigie("init", cwd=tmp_path, VIGIE_DUCKDB_PATH=str(path)).returncode == 0
    ingest = vigie("ingest", "predictions", prediction_file(tmp_path), cwd=tmp_path,
                   VIGIE_DUCKDB_PATH=str(path))
    assert ingest.returncode == 0 and "accepted 1" in ingest.stdout, ingest.stderr


@pytest.mark.postgres
def test_report_refused_by_postgresql_fails(tmp_path):
    config, drop = make_config("postgres", tmp_path)
    role = f"vigie_noread_{time.time_ns() % 10**9}"
    try:
        warehouse = Warehouse(config)
        init_warehouse(warehouse)
        warehouse.execute("create table marts.drift_summary (window_date date, "
                          "model_version text, drift_share float, status text, "
                          "n_drifted int, n_features int)")
        warehouse.execute(f"create role {role} login")
        warehouse.execute(f"grant usage on schema marts to {role}")
        proc = vigie("report", "--target", "postgres", "--output", str(tmp_path / "r.html"),
                     cwd=tmp_path, VIGIE_PG_DATABASE=config.pg_database, VIGIE_PG_USER=role)
        assert_one_line_error(proc, "cannot read marts.drift_summary")
        assert not (tmp_path / "r.html").exists()
    finally:
        drop()
        engine = sa.create_engine(sa.URL.create("postgresql+psycopg2", username="postgres",
                                                host=config.pg_host, port=config.pg_port,
                                                database="postgres"),
                                  isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"drop role if exists {role}"))
        engine.dispose()


def test_report_still_renders_a_warehouse_without_marts(tmp_path):
    init_warehouse(_duckdb(tmp_path))
    proc = vigie("report", "--output", str(tmp_path / "r.html"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Nothing to show" in (tmp_path / "r.html").read_text()
