"""`vigie run` on a small clean stream: the story on the terminal, Dagster's log in a file, and
the runs, materializations and check results in the project's Dagster instance, where
`make dagster` (same DAGSTER_HOME) shows them."""

from __future__ import annotations

import dagster as dg
from click.testing import CliRunner

from orchestration.assets.dbt_metadata import DRIFT_SUMMARY_KEY
from orchestration.cli import main
from orchestration.jobs import MONITORING_JOB, SIMULATION_JOB

SINGULAR_CHECK = dg.AssetCheckKey(DRIFT_SUMMARY_KEY,
                                  "monitoring_drift_summary_counts_drifted_features")


def test_vigie_run_records_in_the_shared_instance_and_logs_to_a_file(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("VIGIE_TARGET", "duckdb")
    monkeypatch.setenv("VIGIE_DUCKDB_PATH", str(tmp_path / "warehouse" / "vigie.duckdb"))
    monkeypatch.setenv("VIGIE_DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("VIGIE_MODEL_STORE", str(tmp_path / "models"))
    result = CliRunner().invoke(main, ["run", "--days", "4", "--per-day", "150", "--scenario",
                                       "clean", "--start-date", "2024-01-01"])
    assert result.exit_code == 0, result.output[-3000:]
    lines = result.output.strip().splitlines()
    # the story, not Dagster's log: 4 days of drift, the trigger line, timings, the report
    assert len(lines) < 25, result.output
    assert "drift status by day" in result.output and "Traceback" not in result.output
    assert "DEBUG" not in result.output and "STEP_START" not in result.output
    log = (tmp_path / "warehouse" / "vigie-run.log").read_text()
    assert "STEP_START" in log and "DEBUG" in log

    assert (home / "dagster.yaml").exists()
    instance = dg.DagsterInstance.from_config(str(home))  # what `dagster dev` opens
    jobs = {run.job_name for run in instance.get_runs()}
    assert {SIMULATION_JOB, MONITORING_JOB} <= jobs
    drift = instance.get_latest_materialization_event(DRIFT_SUMMARY_KEY)
    assert drift is not None
    assert len(drift.asset_materialization.metadata["drift_share_by_day"].value) == 4
    checks = instance.event_log_storage.get_asset_check_execution_history(SINGULAR_CHECK,
                                                                          limit=1)
    assert checks and checks[0].status.value == "SUCCEEDED"
