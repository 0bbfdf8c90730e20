"""Property: the gate's real SQL never promotes when an input is not finite or cannot be judged.

Hypothesis draws parity tables (group sizes from 0 to large, rates that may be NaN, ±infinity or
null, labels of one outcome only), AUCs, SHAP shares and a validation AUC that may be NaN or
missing; the compiled gate models (tests/python/gate_sql.py) run on DuckDB. Whenever the drawn
inputs contain a non-finite or missing number the gate compares, or an attribute has fewer than
two groups of min_group_size, the decision must not be 'promoted'. On clean, assessable inputs
its ratios must equal the Python reference (tests/python/oracles.py, itself checked against
fairlearn in test_metrics.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import make_config
from gate_sql import THRESHOLDS, compile_gate, create_inputs, run_gate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracles import check_equalized_odds, check_four_fifths

EVAL = "m:v2:vs:v1"
SPECIAL = [float("nan"), float("inf"), float("-inf"), None]
MIN_GROUP = THRESHOLDS["min_group_size"]


@pytest.fixture(scope="module")
def duckdb_gate(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gate_property")
    config, _ = make_config("duckdb", tmp)
    compiled = compile_gate(config, tmp / "dbt_target")
    engine = sa.create_engine(config.url(), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        create_inputs(conn)
    yield engine, compiled
    engine.dispose()


def rate(clean: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a clean rate, sometimes NaN, ±infinity or null."""
    return st.one_of(clean, clean, clean, st.sampled_from(SPECIAL))


@st.composite
def groups(draw, attribute: str) -> list[dict]:
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4,
                          unique=True))
    rows = []
    for name in names:
        n = draw(st.sampled_from([0, 1, 5, 29, 30, 31, 200]))
        n_good = draw(st.integers(0, n))
        rows.append({"attribute": attribute, "group_name": name, "n_predictions": n,
                     "n_favorable_decisions": n_good, "n_labeled": n,
                     "n_favorable_outcomes": n_good, "n_unfavorable_outcomes": n - n_good,
                     "selection_rate": draw(rate(st.floats(0, 1))),
                     "true_positive_rate": draw(rate(st.floats(0, 1))),
                     "false_positive_rate": draw(rate(st.floats(0, 1))),
                     "is_suppressed": n < MIN_GROUP})
    return rows


@st.composite
def gate_case(draw) -> dict:
    parity = draw(groups("sex")) + draw(groups("age"))
    return {"parity": parity,
            "candidate_auc": draw(rate(st.floats(0.5, 1))),
            "production_auc": draw(rate(st.floats(0.5, 1))),
            "shares": [draw(rate(st.floats(0, 0.2))) for _ in range(4)],
            "validation_auc": draw(rate(st.floats(0.6, 1)))}


def finite(value) -> bool:
    return value is not None and math.isfinite(value)


def inputs_for(case: dict) -> dict[str, pd.DataFrame]:
    parity = pd.DataFrame(case["parity"]).assign(
        evaluation_id=EVAL, model_name="m", model_version="v2", evaluation_role="candidate")
    # the AUCs enter through the scores: a non-finite AUC as a non-finite score
    scores = []
    for role, version, auc in (("candidate", "v2", case["candidate_auc"]),
                               ("production", "v1", case["production_auc"])):
        score = [0.1, 0.9] if finite(auc) else [0.1, auc]
        scores.append(pd.DataFrame({
            "evaluation_id": EVAL, "model_name": "m", "model_version": version,
            "evaluation_role": role, "prediction_id": ["p0", "p1"], "score": score,
            "decision": "approved", "outcome": ["repaid", "defaulted"],
            "scored_at": pd.Timestamp("2030-01-01")}))
    share = case["shares"]
    importance = pd.DataFrame({
        "model_name": "m", "model_version": ["v2", "v2", "v1", "v1"],
        "feature_name": ["age", "amount", "age", "amount"],
        "mean_abs_contribution": share, "importance_share": share,
        "is_sensitive": [True, False, True, False]})
    return {"marts.candidate_parity": parity,
            "staging.stg_raw__evaluation_scores": pd.concat(scores, ignore_index=True),
            "marts.feature_importance": importance,
            "intermediate.int_validation_auc": pd.DataFrame({
                "model_name": "m", "model_version": ["v2"],
                "validation_auc": [case["validation_auc"]]})}


def judgeable(case: dict) -> bool:
    """Every number the gate compares is finite and every attribute has two groups to compare."""
    if not all(finite(v) for v in (case["candidate_auc"], case["production_auc"],
                                   case["validation_auc"], *case["shares"])):
        return False
    for attribute in ("sex", "age"):
        kept = [g for g in case["parity"] if g["attribute"] == attribute
                and not g["is_suppressed"]]
        if len(kept) < 2:
            return False
        if not all(finite(g[c]) for g in kept
                   for c in ("selection_rate", "true_positive_rate", "false_positive_rate")):
            return False
    return True


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(case=gate_case())
def test_gate_never_promotes_what_it_cannot_judge(duckdb_gate, case):
    engine, compiled = duckdb_gate
    checks, gate = run_gate(engine, compiled, inputs_for(case), from_parity=True)
    assert len(gate) == 1 and len(checks) == 6  # the fuzz check switched off: it passes
    decision = gate["decision"].iloc[0]
    if not judgeable(case):
        assert decision != "promoted", (case, gate["reasons"].iloc[0])
        assert not checks["passed"].all()
    if decision == "promoted":
        assert checks["passed"].all() and checks["is_assessable"].all()
    assert (checks["passed"] <= checks["is_assessable"]).all()  # never passed unassessed
    found = checks.set_index("check_name")
    if judgeable(case):
        parity = pd.DataFrame(case["parity"])
        # on clean inputs the SQL ratios are the Python reference's (fairlearn's definitions)
        four_fifths = check_four_fifths(parity, ratio_min=THRESHOLDS["four_fifths_ratio"])
        if four_fifths.observed is not None and found.loc["four_fifths", "is_assessable"]:
            np.testing.assert_allclose(found.loc["four_fifths", "observed"],
                                       four_fifths.observed, rtol=1e-9)
        odds = check_equalized_odds(parity, bound=THRESHOLDS["equalized_odds_bound"])
        np.testing.assert_allclose(found.loc["equalized_odds", "observed"], odds.observed,
                                   rtol=1e-9, atol=1e-12)
