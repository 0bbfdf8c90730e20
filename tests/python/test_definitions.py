"""The Dagster code location loads: keys, groups, lineage, jobs, checks and triggers are wired,
the executor follows the warehouse, and orchestration/ has no import circle."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration import jobs, schedules, sensors
from orchestration.assets.dbt_metadata import DRIFT_SUMMARY_KEY, LABELS_LATEST_KEY
from orchestration.assets.keys import (
    CANDIDATE_EVALUATION_KEY,
    CANDIDATE_MODEL_KEY,
    DRIFT_TESTS_KEY,
)
from orchestration.definitions import build_definitions
from orchestration.resources import WarehouseResource, default_model_name
from orchestration.warehouse import default_project_dir

# Each singular dbt test of tests/dbt and the model it is a Dagster check of (config meta).
SINGULAR_TESTS = {
    "configuration_drift_tests_fit_feature_types": "raw/feature_schema",
    "configuration_monotone_declarations_are_valid": "raw/feature_schema",
    "configuration_kpi_checks_are_valid": "raw/kpi_checks",
    "configuration_monitoring_thresholds_are_set": "raw/thresholds",
    "fairness_groups_add_up_to_predictions": "marts/group_parity",
    "fairness_sensitive_bands_do_not_overlap": "raw/sensitive_groups",
    "monitoring_drift_summary_counts_drifted_features": "marts/drift_summary",
    "monitoring_every_prediction_in_one_conformance_window": "marts/schema_conformance",
    "monitoring_psi_is_sum_of_bin_contributions": "marts/feature_drift",
    "performance_cost_matrix_covers_labelled_decisions": "intermediate/int_labels_latest",
    "performance_labels_within_predictions": "marts/model_performance",
}


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_target")


@pytest.fixture(scope="module")
def defs(dbt_target) -> dg.Definitions:
    return build_definitions(dbt_target, resources={
        "warehouse": WarehouseResource(target="duckdb")})


def key(path: str) -> dg.AssetKey:
    return dg.AssetKey(path.split("/"))


def test_manifest_is_parsed_into_the_private_target_path(defs, dbt_target):
    assert (dbt_target / "manifest.json").exists()


def test_jobs_are_the_module_level_objects_and_each_resolves(defs):
    for job in jobs.JOBS:
        resolved = defs.resolve_job_def(job.name)
        assert resolved.graph.nodes and resolved.tags[jobs.WAREHOUSE_TAG] == "writes"
    assert sensors.drift_retraining_sensor.job is jobs.retraining_job
    assert schedules.daily_monitoring.job is jobs.monitoring_job


def test_definitions_is_a_leaf_and_orchestration_has_no_import_circle():
    root = Path(default_project_dir()) / "orchestration"
    modules = {p: ".".join(p.relative_to(root.parent).with_suffix("").parts)
               .removesuffix(".__init__") for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for path, name in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
        graph[name] = imported & set(modules.values()) - {name}
    # only the command line (an entry point, like Dagster) builds the Definitions
    assert {m for m, deps in graph.items() if "orchestration.definitions" in deps} <= {
        "orchestration.cli"}

    def in_a_circle(start: str) -> bool:
        stack, seen = [start], set()
        while stack:
            for dep in graph[stack.pop()]:
                if dep == start:
                    return True
                if dep not in seen:
                    seen.add(dep)
                    stack.append(dep)
        return False

    assert [m for m in graph if in_a_circle(m)] == []


def test_executor_follows_the_warehouse_target(defs, dbt_target):
    """DuckDB: one process for all the steps of a run; PostgreSQL: steps in parallel."""
    for job in [*jobs.JOBS, defs.resolve_implicit_global_asset_job_def()]:
        assert defs.resolve_job_def(job.name).executor_def is dg.in_process_executor
    postgres = build_definitions(dbt_target, resources={
        "warehouse": WarehouseResource(target="postgres")})
    assert postgres.resolve_job_def("monitoring").executor_def is dg.multiprocess_executor
    assert (postgres.resolve_implicit_global_asset_job_def().executor_def
            is dg.multiprocess_executor)


def test_sources_written_by_python_assets_are_those_assets(defs):
    graph = defs.resolve_asset_graph()
    parents = {k: set(graph.get(key(k)).parent_keys) for k in (
        "staging/stg_raw__drift_tests", "staging/stg_raw__evaluation_scores",
        "staging/stg_raw__feature_contributions", "staging/stg_raw__predictions")}
    assert parents["staging/stg_raw__drift_tests"] == {DRIFT_TESTS_KEY}
    assert parents["staging/stg_raw__evaluation_scores"] == {CANDIDATE_EVALUATION_KEY}
    assert parents["staging/stg_raw__feature_contributions"] == {CANDIDATE_MODEL_KEY}
    assert parents["staging/stg_raw__predictions"] == {key("raw/predictions")}


def test_graph_runs_raw_staging_marts_drift_training_promotion(defs):
    graph = defs.resolve_asset_graph()
    assert DRIFT_TESTS_KEY in set(graph.upstream_key_iterator(key("marts/drift_summary")))
    # the candidate is trained on the labelled predictions: it comes after them
    training_inputs = graph.get_ancestor_asset_keys(CANDIDATE_MODEL_KEY)
    assert {key("raw/predictions"), key("raw/feedback"),
            key("intermediate/int_labels_latest")} <= training_inputs
    assert key("raw/predictions") in graph.get_ancestor_asset_keys(
        key("promotion/production_model"))
    groups = {k: graph.get(key(k)).group_name for k in (
        "raw/predictions", "staging/stg_raw__predictions", "marts/group_parity",
        "marts/drift_summary", "drift/ks_drift_tests", "training/candidate_model",
        "marts/feature_importance", "promotion/production_model")}
    assert groups == {
        "raw/predictions": "raw", "staging/stg_raw__predictions": "staging",
        "marts/group_parity": "marts", "marts/drift_summary": "drift",
        "drift/ks_drift_tests": "drift", "training/candidate_model": "training",
        "marts/feature_importance": "training", "promotion/production_model": "promotion"}


def test_every_singular_dbt_test_is_a_check_of_its_model(defs):
    graph = defs.resolve_asset_graph()
    attached = {k.name: k.asset_key.to_user_string() for k in graph.asset_check_keys
                if k.name in SINGULAR_TESTS}
    assert attached == SINGULAR_TESTS
    singular = {p.stem for p in (Path(default_project_dir()) / "tests" / "dbt").glob("*.sql")}
    assert singular == set(SINGULAR_TESTS)
    assert [k for k in graph.asset_check_keys if k.asset_key == key("marts/feature_drift")]


def test_gate_checks_stay_out_of_the_monitoring_job(defs):
    gate = {c.node_def.name for c in defs.asset_checks}
    assert gate
    nodes = {name: {n.name for n in defs.resolve_job_def(name).graph.nodes}
             for name in ("monitoring", "retraining")}
    assert not gate & nodes["monitoring"]
    assert gate <= nodes["retraining"]


def test_sensor_inputs_are_dbt_assets_and_triggers_are_registered(defs):
    graph = defs.resolve_asset_graph()
    assert graph.get(DRIFT_SUMMARY_KEY).is_materializable
    assert graph.get(LABELS_LATEST_KEY).is_materializable
    assert defs.resolve_sensor_def("drift_retraining_sensor").job_name == "retraining"
    assert defs.resolve_sensor_def("new_labels_sensor").job_name == "retraining"
    assert defs.resolve_sensor_def("fairness_mitigation_sensor").job_name == "retraining"
    assert defs.resolve_schedule_def("daily_monitoring").job_name == "monitoring"
    assert defs.resolve_sensor_def("alert_delivery_sensor").job_name == "alert_delivery"
    # the delivery job rebuilds marts.alerts, then sends; the monitoring job rebuilds it too
    delivery = {k.to_user_string() for k in
                defs.resolve_job_def("alert_delivery").asset_layer.selected_asset_keys}
    assert delivery == {"marts/alerts", "alerts/alert_deliveries"}
    assert dg.AssetKey(["marts", "alerts"]) in \
        defs.resolve_job_def("monitoring").asset_layer.selected_asset_keys


def test_dagster_finds_the_code_location_from_the_repository_root(dbt_target):
    """`dagster definitions validate` with no flags reads [tool.dagster] in pyproject.toml."""
    env = {**os.environ, "VIGIE_DBT_TARGET_PATH": str(dbt_target)}
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "definitions", "validate"], cwd=default_project_dir(),
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_model_name_comes_from_configuration(tmp_path):
    """The dbt var vigie_default_model, unless the warehouse resource names another model."""
    assert default_model_name(default_project_dir()) == "credit_risk"
    (tmp_path / "dbt_project.yml").write_text("vars:\n  vigie_default_model: churn\n")
    assert WarehouseResource(project_dir=str(tmp_path)).model == "churn"
    assert WarehouseResource(project_dir=str(tmp_path), model_name="scoring").model == "scoring"
