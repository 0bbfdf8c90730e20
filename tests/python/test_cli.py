"""The `vigie` command: help, one-line errors with exit codes, and the simulate path."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.warehouse import Warehouse, WarehouseConfig


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_DUCKDB_PATH", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("VIGIE_TARGET", "duckdb")
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_help_explains_every_verb():
    result = invoke("--help")
    assert result.exit_code == 0
    for verb in ("init", "ingest", "simulate", "build", "run"):
        assert verb in result.output


def test_init_is_idempotent(env):
    first, second = invoke("init"), invoke("init")
    assert first.exit_code == 0 and "created" in first.output
    assert second.exit_code == 0 and "already there" in second.output


@pytest.mark.parametrize(("args", "message"), [
    (("ingest", "predictions", "missing.jsonl"), "no such file"),
    (("ingest", "feedback", "data.xml"), "unknown format"),
    (("ingest", "predictions", "x.jsonl", "--target", "postgres"), "cannot reach"),
])
def test_failures_are_one_line_and_exit_non_zero(env, monkeypatch, args, message):
    (env / "data.xml").write_text("<a/>")
    (env / "x.jsonl").write_text("{}\n")
    monkeypatch.chdir(env)
    monkeypatch.setenv("VIGIE_PG_PORT", "1")
    result = invoke(*args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vigie: error:") and message in lines[0]
    assert "Traceback" not in result.output


def test_simulate_ingests_through_the_contract_and_registers_v1(env):
    result = invoke("simulate", "--days", "3", "--per-day", "200", "--scenario", "clean",
                    "--start-date", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert "received 600 · accepted 600" in result.output
    warehouse = Warehouse(WarehouseConfig.from_env())
    assert warehouse.scalar("select count(*) from raw.predictions") == 600
    assert warehouse.scalar("select count(distinct cast(scored_at as date)) "
                            "from raw.predictions") == 3
    assert warehouse.scalar("select stage from raw.model_registry where model_version = 'v1'") \
        == "production"
    assert warehouse.scalar("select count(distinct row_id) from raw.reference_sample") == 1000
    again = invoke("simulate", "--days", "3", "--per-day", "200", "--scenario", "clean",
                   "--start-date", "2026-01-01")
    assert "accepted 0 · duplicates 600" in again.output


def test_console_script_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", "--help"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "simulate" in proc.stdout


@pytest.mark.parametrize(("token", "message"), [
    (None, "VIGIE_API_TOKEN is not set"),
    ("  ", "VIGIE_API_TOKEN is set but empty"),
])
def test_serve_refuses_to_start_without_a_token(env, monkeypatch, token, message):
    if token is None:
        monkeypatch.delenv("VIGIE_API_TOKEN", raising=False)
    else:
        monkeypatch.setenv("VIGIE_API_TOKEN", token)
    result = invoke("serve", "--port", "1")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"vigie: error: {message}")
