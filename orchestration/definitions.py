"""The Dagster code location: one Definitions from the assets, checks, jobs and triggers."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import build_dbt_assets, vigie_dbt_project
from orchestration.assets.drift import build_drift_asset
from orchestration.assets.evaluation import candidate_evaluation
from orchestration.assets.keys import CANDIDATE_EVALUATION_KEY, ML_MARTS
from orchestration.assets.promotion import build_production_model
from orchestration.assets.raw import simulated_traffic
from orchestration.assets.training import candidate_model
from orchestration.checks.promotion_checks import build_gate_checks
from orchestration.jobs import build_jobs
from orchestration.resources import default_resources
from orchestration.schedules import daily_monitoring
from orchestration.sensors import drift_retraining_sensor, new_labels_sensor


def build_definitions(dbt_target_path: str | Path | None = None, *, prepare: bool = False,
                      resources: dict | None = None) -> dg.Definitions:
    """Assets raw → staging → marts → drift → training → promotion, with jobs and triggers.

    dbt_target_path: where the dbt manifest and run artefacts go (default $VIGIE_DBT_TARGET_PATH
    or target/); the manifest is parsed there when missing or when `prepare` is asked.
    resources: replacements for the default resources (warehouse, dbt, model_store).
    """
    project = vigie_dbt_project(dbt_target_path, prepare=prepare)
    dbt = build_dbt_assets(project)

    def model(name: str) -> dg.AssetKey:
        return get_asset_key_for_model([dbt], name)

    drift = build_drift_asset([model("int_feature_values_typed"),
                               model("int_reference_values_typed")])
    fairness_summary = model("candidate_fairness_summary")
    gate = build_gate_checks(fairness_summary, [])
    production = build_production_model([CANDIDATE_EVALUATION_KEY, fairness_summary])
    return dg.Definitions(
        assets=[simulated_traffic, dbt, drift, candidate_model, candidate_evaluation, production],
        asset_checks=[gate],
        jobs=build_jobs(simulated_traffic, dbt, drift, gate,
                        [model(name) for name in ML_MARTS]),
        sensors=[drift_retraining_sensor, new_labels_sensor],
        schedules=[daily_monitoring],
        resources={**default_resources(project), **(resources or {})},
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What `dagster dev` loads from the repository root ([tool.dagster] in pyproject.toml)."""
    return build_definitions()
