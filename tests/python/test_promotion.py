"""The Python side of the gate (orchestration/checks/gate.py): it reads the gate marts and
records what they say, and fails closed when they cannot be read or miss the evaluation. The
verdicts themselves are dbt's, tested in test_gate_marts.py and test_gate_property.py."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orchestration import registry
from orchestration.checks import gate
from orchestration.warehouse import Warehouse
from orchestration.warehouse_init import init_warehouse

EVAL = "m:v2:vs:v1"


@pytest.fixture
def wh(duckdb_config) -> Warehouse:
    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    with warehouse.connect() as conn:
        registry.record_event(conn, model_name="m", model_version="v1", event="registered",
                              stage="production")
        registry.record_event(conn, model_name="m", model_version="v2", event="registered",
                              stage="candidate")
    return warehouse


def write_gate_marts(wh: Warehouse, decision: str, checks: list[tuple[str, bool]]) -> None:
    """Stand-ins for the two gate marts with the columns the Python side reads."""
    wh.execute("create schema if not exists marts")
    wh.execute("create or replace table marts.promotion_gate as select "
               f"'{EVAL}' as evaluation_id, '{decision}' as decision, 'the reasons' as reasons, "
               "0.8 as candidate_auc, 0.7 as production_auc, 0.1 as auc_delta, "
               "0.01 as promotion_delta, 'mitigated' as training_method, "
               "'v1b' as answers_version, null as groups_too_small, "
               "'four_fifths' as production_failed_checks, "
               "'promote the mitigated candidate v2' as production_way_out")
    rows = pd.DataFrame([{"evaluation_id": EVAL, "check_name": name, "passed": passed,
                          "is_assessable": True, "observed": 0.5, "ci_low": 0.45,
                          "ci_high": 0.55, "bound": 0.8, "detail": f"{name} says so",
                          "production_observed": 0.4, "production_ci_low": 0.35,
                          "production_ci_high": 0.45, "production_passed": False}
                         for name, passed in checks])
    with wh.connect() as conn:
        conn.connection.driver_connection.register("rows", rows)
        conn.connection.driver_connection.execute(
            "create or replace table marts.promotion_gate_checks as select * from rows")


def test_the_current_evaluation_is_the_candidate_against_production(wh):
    assert gate.current_evaluation(wh, "m") == ("v2", "v1", EVAL)


def test_unreadable_gate_marts_block(wh):
    verdict = gate.read_verdict(wh, "m", "v2", "v1", EVAL)
    assert verdict.decision == "blocked"
    assert verdict.reasons.startswith("the gate marts could not be read: ")
    checks = gate.read_checks(wh, EVAL)
    assert checks["check_name"].tolist() == list(gate.GATE_CHECKS)
    assert not checks["passed"].any()


def test_a_verdict_missing_for_the_evaluation_blocks(wh):
    write_gate_marts(wh, "promoted", [(name, True) for name in gate.GATE_CHECKS])
    verdict = gate.read_verdict(wh, "m", "v2", "v1", "m:v3:vs:v1")
    assert verdict.decision == "blocked"
    assert verdict.reasons == gate.ERR_NO_VERDICT.format(evaluation_id="m:v3:vs:v1")


def test_a_check_missing_from_the_mart_is_a_failed_row(wh):
    write_gate_marts(wh, "promoted", [("auc_margin", True), ("four_fifths", True)])
    checks = gate.read_checks(wh, EVAL).set_index("check_name")
    assert checks.loc[["auc_margin", "four_fifths"], "passed"].all()
    missing = checks.loc[["equalized_odds", "sensitive_importance", "validation_auc_floor"]]
    assert not missing["passed"].any() and not missing["is_assessable"].any()
    assert checks.loc["four_fifths", "ci_low"] == 0.45
    assert not checks.loc["four_fifths", "production_passed"]


@pytest.mark.parametrize(("decision", "event", "stage"), [
    ("promoted", "approved", "approved"), ("blocked", "blocked", "rejected"),
    ("skipped", "skipped", "archived")])
def test_the_verdict_is_recorded_as_the_mart_says(wh, decision, event, stage):
    write_gate_marts(wh, decision, [(name, True) for name in gate.GATE_CHECKS])
    verdict = gate.read_verdict(wh, "m", "v2", "v1", EVAL)
    assert (verdict.decision, verdict.reasons, verdict.auc_delta) == (decision, "the reasons",
                                                                      0.1)
    gate.record_decision(wh, verdict)
    assert (verdict.training_method, verdict.production_failed_checks) == ("mitigated",
                                                                          "four_fifths")
    row = wh.query_df("select event, stage, reason, details from raw.model_registry "
                      "where model_version = 'v2' order by recorded_at desc").iloc[0]
    assert (row["event"], row["stage"], row["reason"]) == (event, stage, "the reasons")
    assert json.loads(row["details"])["evaluation_id"] == EVAL
    assert json.loads(row["details"])["production_way_out"] == "promote the mitigated candidate v2"
    # recording changes no production stage: only production_model does, past the checks
    assert registry.production_version(wh, "m").model_version == "v1"
