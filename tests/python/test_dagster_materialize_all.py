""""Materialize all" on a fresh DuckDB warehouse, as the UI launches it: the job of every asset,
run by its own executor (in-process on DuckDB: one writer at a time) on a persistent instance.

Before, steps ran in parallel processes and dbt failed with "IO Error: Could not set lock on
file …vigie.duckdb"; two singular tests ran before the tables they read existed."""

from __future__ import annotations

import os

import dagster as dg
import pandas as pd
import pytest
from test_definitions import SINGULAR_TESTS

from orchestration.assets.dbt_metadata import DRIFT_SUMMARY_KEY, LABELS_LATEST_KEY
from orchestration.definitions import build_definitions
from orchestration.story import sensor_requests
from orchestration.warehouse import Warehouse, WarehouseConfig

# A fair candidate (see test_dagster_pipeline.FAIR_BETTER): no blocking check fails, so the run
# ends green whether the gate promotes it or finds the AUC margin missed.
FAIR_BETTER = {"exclude_features": ["sex", "age"], "num_boost_round": 60,
               "params": {"learning_rate": 0.05, "num_leaves": 4}, "approval_rate": 1.0}
SIMULATION = {"scenario": "clean", "days": 6, "per_day": 200, "seed": 7,
              "start_date": "2024-01-01"}


def materialize_all_job() -> dg.JobDefinition:
    """Every asset, as the UI's "Materialize all" selects them, with the executor of the
    Definitions the UI loads (VIGIE_* settings); reconstructable, so Dagster runs it as it runs
    a launched run (the implicit asset job's name is reserved, hence a named copy)."""
    defs = dg.Definitions.merge(build_definitions(), dg.Definitions(
        jobs=[dg.define_asset_job("materialize_all", dg.AssetSelection.all())]))
    return defs.resolve_job_def("materialize_all")


@pytest.fixture(scope="module")
def materialized_all(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh")
    settings = {"VIGIE_TARGET": "duckdb", "VIGIE_DUCKDB_PATH": str(root / "vigie.duckdb"),
                "VIGIE_DBT_TARGET_PATH": str(root / "dbt_target"),
                "VIGIE_MODEL_STORE": str(root / "models")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        (root / "dagster_home").mkdir()
        instance = dg.DagsterInstance.local_temp(tempdir=str(root / "dagster_home"))
        assert materialize_all_job().executor_def is dg.in_process_executor
        assert (build_definitions().resolve_implicit_global_asset_job_def().executor_def
                is dg.in_process_executor)
        result = dg.execute_job(dg.reconstructable(materialize_all_job), instance=instance,
                                run_config={"ops": {
                                    "simulated_traffic": {"config": SIMULATION},
                                    "training__candidate_model": {"config": FAIR_BETTER}}})
        config = WarehouseConfig.from_env()
        yield result, instance, Warehouse(config), dict(os.environ)


def test_materialize_all_succeeds_on_a_fresh_warehouse(materialized_all):
    result, _, wh, _ = materialized_all
    failures = [e.event_specific_data.error.message[:300] for e in result.all_events
                if e.is_step_failure]
    assert result.success, failures
    assert wh.scalar("select count(*) from marts.drift_summary") == 6
    assert wh.scalar("select count(*) from marts.promotion_decisions") == 1


def test_every_check_passes_and_each_singular_test_ran_as_a_check(materialized_all):
    result, _, _, _ = materialized_all
    evaluations = result.get_asset_check_evaluations()
    # (a fair candidate that misses the AUC margin is a WARN of the gate, not an error)
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations
              if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    assert failed == []
    ran = {e.check_name: e.asset_key.to_user_string() for e in evaluations
           if e.check_name in SINGULAR_TESTS}
    assert ran == SINGULAR_TESTS


def test_sensor_metadata_equals_the_marts_it_was_read_from(materialized_all):
    _, instance, wh, _ = materialized_all
    drift = instance.get_latest_materialization_event(DRIFT_SUMMARY_KEY).asset_materialization
    days = pd.DataFrame(drift.metadata["drift_share_by_day"].value)
    mart = wh.query_df("select window_date, drift_share, status from marts.drift_summary "
                       "order by window_date")
    assert days["window_date"].tolist() == [str(d.date()) for d in
                                            pd.to_datetime(mart["window_date"])]
    assert days["drift_share"].tolist() == pytest.approx(mart["drift_share"].tolist())
    assert days["status"].tolist() == mart["status"].tolist()
    labels = instance.get_latest_materialization_event(LABELS_LATEST_KEY).asset_materialization
    labelled = wh.scalar("select count(distinct f.prediction_id) from raw.feedback as f "
                         "where f.kind = 'label' and f.outcome is not null")
    assert labels.metadata["n_labelled_by_model"].value == {"credit_risk": labelled}


def test_sensors_read_the_instance_not_the_warehouse(materialized_all, tmp_path, monkeypatch):
    """The clean stream drifts on no day; its labels stay under retrain_min_new_labels (2,000).
    With the warehouse gone, the sensors still answer from the instance."""
    _, instance, wh, _ = materialized_all
    monkeypatch.setenv("VIGIE_DUCKDB_PATH", str(tmp_path / "nowhere" / "gone.duckdb"))
    defs = build_definitions(os.environ["VIGIE_DBT_TARGET_PATH"])
    assert sensor_requests(defs, "drift_retraining_sensor", instance) == []
    assert sensor_requests(defs, "new_labels_sensor", instance) == []
    assert not (tmp_path / "nowhere").exists()
