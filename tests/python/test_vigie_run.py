"""`vigie run` on a small migration: the story on the terminal (drift from the migration day,
production's parity falling, the naive retrain blocked for fairness with its numbers, the
mitigated retrain that answers it and its decision), Dagster's log in a file, and the runs,
materializations and check results in the project's Dagster instance, where `make dagster`
(same DAGSTER_HOME) shows them."""

from __future__ import annotations

import dagster as dg
from click.testing import CliRunner

from orchestration.assets.dbt_metadata import DRIFT_SUMMARY_KEY
from orchestration.cli import main
from orchestration.jobs import MONITORING_JOB, RETRAINING_JOB, SIMULATION_JOB
from orchestration.warehouse import Warehouse, WarehouseConfig

SINGULAR_CHECK = dg.AssetCheckKey(DRIFT_SUMMARY_KEY,
                                  "monitoring_drift_summary_counts_drifted_features")


def test_vigie_run_records_in_the_shared_instance_and_logs_to_a_file(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("VIGIE_TARGET", "duckdb")
    monkeypatch.setenv("VIGIE_DUCKDB_PATH", str(tmp_path / "warehouse" / "vigie.duckdb"))
    monkeypatch.setenv("VIGIE_DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("VIGIE_MODEL_STORE", str(tmp_path / "models"))
    # 10 days x 300 (migration on day 5): the smallest stream whose naive retrain is blocked
    # for fairness and whose held-out rows keep every group above min_group_size.
    result = CliRunner().invoke(main, ["run", "--days", "10", "--per-day", "300", "--scenario",
                                       "migration", "--seed", "7", "--start-date",
                                       "2024-01-01"])
    assert result.exit_code == 0, result.output[-3000:]
    lines = result.output.strip().splitlines()
    # the story, not Dagster's log
    assert len(lines) < 60, result.output
    assert "Traceback" not in result.output
    assert "DEBUG" not in result.output and "STEP_START" not in result.output
    story = result.output[result.output.index("drift status by day"):]
    assert "2024-01-06 .. 2024-01-10 alert" in story
    assert "before 2024-01-06" in story and "from it" in story
    naive = [line for line in lines if line.startswith("promotion decision: candidate v2")]
    mitigated = [line for line in lines if line.startswith("promotion decision: candidate v3")]
    assert len(naive) == 1 and "(naive) vs production v1: BLOCKED" in naive[0]
    assert len(mitigated) == 1 and "(mitigated, answers v2) vs production v1" in mitigated[0]
    failed_fairness = [line for line in lines if line.startswith("    ")
                       and line.split()[0] in ("four_fifths", "equalized_odds",
                                               "sensitive_importance")
                       and line.split()[1] == "failed"]
    assert failed_fairness and "bound" in failed_fairness[0]
    # the progress lines, before the story: the mitigation sensor fired on the block
    assert "trigger fired, fairness_block: candidate v2 (naive) blocked for fairness" in \
        result.output
    log = (tmp_path / "warehouse" / "vigie-run.log").read_text()
    assert "STEP_START" in log and "DEBUG" in log
    registered = Warehouse(WarehouseConfig.from_env(target="duckdb")).query_df(
        "select model_version, training_method, answers_version from raw.model_registry "
        "where event = 'registered' and model_version <> 'v1' order by model_version")
    assert registered.fillna("-").to_dict("list") == {
        "model_version": ["v2", "v3"], "training_method": ["naive", "mitigated"],
        "answers_version": ["-", "v2"]}

    assert (home / "dagster.yaml").exists()
    instance = dg.DagsterInstance.from_config(str(home))  # what `dagster dev` opens
    jobs = {run.job_name for run in instance.get_runs()}
    assert {SIMULATION_JOB, MONITORING_JOB, RETRAINING_JOB} <= jobs
    assert sum(run.job_name == RETRAINING_JOB for run in instance.get_runs()) == 2
    drift = instance.get_latest_materialization_event(DRIFT_SUMMARY_KEY)
    assert drift is not None
    assert len(drift.asset_materialization.metadata["drift_share_by_day"].value) == 10
    checks = instance.event_log_storage.get_asset_check_execution_history(SINGULAR_CHECK,
                                                                          limit=1)
    assert checks and checks[0].status.value == "SUCCEEDED"
