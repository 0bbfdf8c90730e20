"""The Dagster code location loads: keys, groups, lineage, jobs, checks and triggers are wired."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.assets.keys import (
    CANDIDATE_EVALUATION_KEY,
    CANDIDATE_MODEL_KEY,
    DRIFT_TESTS_KEY,
    PRODUCTION_MODEL_KEY,
)
from orchestration.checks.gate import GATE_CHECKS
from orchestration.definitions import build_definitions
from orchestration.warehouse import default_project_dir


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_target")


@pytest.fixture(scope="module")
def defs(dbt_target) -> dg.Definitions:
    return build_definitions(dbt_target)


def key(path: str) -> dg.AssetKey:
    return dg.AssetKey(path.split("/"))


def test_manifest_is_parsed_into_the_private_target_path(defs, dbt_target):
    assert (dbt_target / "manifest.json").exists()


def test_every_job_resolves(defs):
    for name in ("simulation", "monitoring", "retraining", "registry_marts"):
        assert defs.resolve_job_def(name).graph.nodes


def test_sources_written_by_python_assets_are_those_assets(defs):
    graph = defs.resolve_asset_graph()
    parents = {k: set(graph.get(key(k)).parent_keys) for k in (
        "staging/stg_raw__drift_tests", "staging/stg_raw__evaluation_scores",
        "staging/stg_raw__feature_contributions", "staging/stg_raw__model_registry",
        "staging/stg_raw__predictions")}
    assert parents["staging/stg_raw__drift_tests"] == {DRIFT_TESTS_KEY}
    assert parents["staging/stg_raw__evaluation_scores"] == {CANDIDATE_EVALUATION_KEY}
    assert parents["staging/stg_raw__feature_contributions"] == {CANDIDATE_MODEL_KEY}
    assert parents["staging/stg_raw__model_registry"] == {PRODUCTION_MODEL_KEY}
    assert parents["staging/stg_raw__predictions"] == {key("raw/predictions")}


def test_graph_runs_raw_staging_marts_drift_training_promotion(defs):
    graph = defs.resolve_asset_graph()
    drift_upstream = graph.upstream_key_iterator(key("marts/drift_summary"))
    assert DRIFT_TESTS_KEY in set(drift_upstream)
    assert key("raw/predictions") in graph.get_ancestor_asset_keys(PRODUCTION_MODEL_KEY)
    assert key("marts/candidate_fairness_summary") in graph.get(PRODUCTION_MODEL_KEY).parent_keys
    assert PRODUCTION_MODEL_KEY in graph.get_ancestor_asset_keys(key("marts/promotion_decisions"))
    groups = {k: graph.get(key(k)).group_name for k in (
        "raw/predictions", "staging/stg_raw__predictions", "marts/group_parity",
        "marts/drift_summary", "drift/ks_drift_tests", "training/candidate_model",
        "marts/feature_importance", "promotion/production_model",
        "marts/promotion_decisions")}
    assert groups == {
        "raw/predictions": "raw", "staging/stg_raw__predictions": "staging",
        "marts/group_parity": "marts", "marts/drift_summary": "drift",
        "drift/ks_drift_tests": "drift", "training/candidate_model": "training",
        "marts/feature_importance": "training", "promotion/production_model": "promotion",
        "marts/promotion_decisions": "promotion"}


def test_gate_checks_are_blocking_and_dbt_tests_are_checks(defs):
    graph = defs.resolve_asset_graph()
    gate = {k.name: graph.get_check_spec(k) for k in graph.asset_check_keys
            if k.asset_key == key("marts/candidate_fairness_summary") and k.name in GATE_CHECKS}
    assert set(gate) == set(GATE_CHECKS)
    assert all(spec.blocking for spec in gate.values())
    dbt_checks = [k for k in graph.asset_check_keys if k.asset_key == key("marts/feature_drift")]
    assert dbt_checks


def test_monitoring_job_leaves_the_gate_out(defs):
    job = defs.resolve_job_def("monitoring")
    assert "promotion_gate" not in {n.name for n in job.graph.nodes}
    assert "promotion_gate" in {n.name for n in defs.resolve_job_def("retraining").graph.nodes}


def test_triggers_are_registered(defs):
    assert defs.resolve_sensor_def("drift_retraining_sensor").job_name == "retraining"
    assert defs.resolve_sensor_def("new_labels_sensor").job_name == "retraining"
    assert defs.resolve_schedule_def("daily_monitoring").job_name == "monitoring"


def test_dagster_finds_the_code_location_from_the_repository_root(dbt_target):
    """`dagster definitions validate` with no flags reads [tool.dagster] in pyproject.toml."""
    env = {**os.environ, "VIGIE_DBT_TARGET_PATH": str(dbt_target)}
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run([str(dagster), "definitions", "validate"], cwd=default_project_dir(),
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
