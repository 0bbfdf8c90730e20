"""The Dagster code location: one Definitions from the assets, checks, jobs and triggers.

A leaf: it imports every module of the code location and none imports it (the `vigie` command
and the tests call build_definitions; `dagster dev` loads `defs`).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.alerts import build_alert_deliveries_asset
from orchestration.assets.calibration import build_calibration_asset
from orchestration.assets.dbt import build_dbt_assets, vigie_dbt_project
from orchestration.assets.decision import build_promotion_decision
from orchestration.assets.drift import build_drift_asset
from orchestration.assets.evaluation import candidate_evaluation
from orchestration.assets.fuzz import candidate_fuzz
from orchestration.assets.multivariate import build_domain_classifier_asset
from orchestration.assets.promotion import production_model
from orchestration.assets.raw import simulated_traffic
from orchestration.assets.training import candidate_model
from orchestration.checks.promotion_checks import build_gate_checks
from orchestration.jobs import JOBS
from orchestration.resources import default_resources
from orchestration.schedules import daily_monitoring
from orchestration.sensors import ALERT_SENSORS, DECISION_SENSORS, SENSORS
from orchestration.warehouse import WarehouseConfig


def executor_for(config: WarehouseConfig) -> dg.ExecutorDefinition:
    """A DuckDB file takes one writing process at a time, and a local Spark catalog belongs to
    one process: on them, every step of a run runs in the run's own process, one after the
    other; PostgreSQL and a Spark cluster take parallel steps."""
    return (dg.in_process_executor if config.target == "duckdb" or config.local_spark
            else dg.multiprocess_executor)


def build_definitions(dbt_target_path: str | Path | None = None, *, prepare: bool = False,
                      resources: dict | None = None) -> dg.Definitions:
    """Assets raw → staging → marts → drift → training → promotion, with jobs and triggers.

    dbt_target_path: where the dbt manifest and run artefacts go (default $VIGIE_DBT_TARGET_PATH
    or target/); the manifest is parsed there when missing or when `prepare` is asked.
    resources: replacements for the default resources (warehouse, dbt, model_store); the
    executor follows the warehouse resource's target.
    """
    project = vigie_dbt_project(dbt_target_path, prepare=prepare)
    dbt = build_dbt_assets(project)

    def model(name: str) -> dg.AssetKey:
        return get_asset_key_for_model([dbt], name)

    drift = build_drift_asset([model("int_drift_tests_required"),
                               model("int_feature_values_typed"),
                               model("int_reference_values_typed")])
    calibration = build_calibration_asset([model("int_validation_scores_labelled")])
    domain_classifier = build_domain_classifier_asset([model("int_multivariate_drift_required"),
                                                       model("int_feature_values_typed")])
    decision = build_promotion_decision([model("promotion_gate"),
                                         model("promotion_gate_checks")])
    alert_deliveries = build_alert_deliveries_asset([model("alerts")])
    gate = build_gate_checks()
    all_resources = {**default_resources(project), **(resources or {})}
    return dg.Definitions(
        assets=[simulated_traffic, dbt, drift, calibration, domain_classifier, candidate_model,
                candidate_evaluation, candidate_fuzz, decision, production_model, alert_deliveries],
        asset_checks=[gate],
        jobs=JOBS,
        sensors=[*SENSORS, *DECISION_SENSORS, *ALERT_SENSORS],
        schedules=[daily_monitoring],
        resources=all_resources,
        executor=executor_for(all_resources["warehouse"].config),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What `dagster dev` loads from the repository root ([tool.dagster] in pyproject.toml)."""
    return build_definitions()
