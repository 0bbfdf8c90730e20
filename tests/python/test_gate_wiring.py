"""Where the gate sits in the asset graph: gate marts after the evaluation scores, the decision
after the gate marts, blocking read-only checks on the decision, production_model after them,
and the registry marts after the decision's record (not after the checked decision: a failed
blocking check skips everything downstream of its asset in the run)."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.assets.keys import (
    CANDIDATE_EVALUATION_KEY,
    DECISION_RECORD_KEY,
    PRODUCTION_MODEL_KEY,
    PROMOTION_DECISION_KEY,
)
from orchestration.checks.gate import GATE_CHECKS
from orchestration.definitions import build_definitions
from orchestration.resources import WarehouseResource


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    defs = build_definitions(tmp_path_factory.mktemp("dbt_target"), resources={
        "warehouse": WarehouseResource(target="duckdb")})
    return defs.resolve_asset_graph()


def marts(name: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", name])


def test_gate_marts_read_the_evaluation_and_feed_the_decision(graph):
    assert CANDIDATE_EVALUATION_KEY in graph.get_ancestor_asset_keys(marts("promotion_gate"))
    assert graph.get(PROMOTION_DECISION_KEY).parent_keys == {
        marts("promotion_gate"), marts("promotion_gate_checks")}


def test_the_checks_are_blocking_and_stand_between_decision_and_production(graph):
    specs = {k.name: graph.get_check_spec(k) for k in graph.asset_check_keys
             if k.asset_key == PROMOTION_DECISION_KEY}
    assert set(specs) == set(GATE_CHECKS)
    assert all(spec.blocking for spec in specs.values())
    assert graph.get(PRODUCTION_MODEL_KEY).parent_keys == {PROMOTION_DECISION_KEY}


def test_registry_marts_follow_the_record_not_the_checked_decision(graph):
    decisions = graph.get_ancestor_asset_keys(marts("promotion_decisions"))
    assert DECISION_RECORD_KEY in decisions
    assert PROMOTION_DECISION_KEY not in decisions and PRODUCTION_MODEL_KEY not in decisions
    assert PRODUCTION_MODEL_KEY in graph.get_ancestor_asset_keys(marts("model_versions"))
