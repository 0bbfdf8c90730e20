"""The promotion gate's marts (promotion_gate_checks, promotion_gate) on the cases of issue 16:
each input that is missing, not finite or too thin to judge blocks, naming the attribute and
the group, on DuckDB and PostgreSQL (both order NaN above every number, so an unguarded
`ratio >= 0.8` passes a NaN). Numbers are checked against fairlearn and scikit-learn.

Before this change the Python gate (models_ml/promotion.py, decide_promotion) promoted every
one of these cases: NaN AUC compared False with the margin; an attribute with fewer than two
unsuppressed groups was skipped; NaN rates and NaN SHAP shares were dropped or counted as 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import make_config
from fairlearn.metrics import demographic_parity_ratio, equalized_odds_difference
from gate_sql import compile_gate, create_inputs, run_gate
from sklearn.metrics import roc_auc_score

EVAL = "m:v2:vs:v1"
AGE_BANDS = ["under_25", "25_39", "40_59", "60_and_over"]


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def gate_engine(request, tmp_path_factory):
    """An engine on a scratch warehouse of the target, and the gate's SQL compiled for it."""
    tmp = tmp_path_factory.mktemp(f"gate_{request.param}")
    config, drop = make_config(request.param, tmp)
    compiled = compile_gate(config, tmp / "dbt_target")
    engine = sa.create_engine(config.url(), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        create_inputs(conn)
    yield request.param, engine, compiled
    engine.dispose()
    drop()


def held_out_rows(seed: int = 3, sizes: dict[str, int] | None = None,
                  unfair_band: str | None = None) -> pd.DataFrame:
    """Held-out rows: sex, age band, repaid (favourable outcome), approved (favourable decision:
    exactly the repaid rows, so TPR 1 and FPR 0 in every group), two scores. unfair_band's
    defaulters are approved too (its FPR 1, the others' 0)."""
    rng = np.random.default_rng(seed)
    sizes = sizes or {"under_25": 300, "25_39": 500, "40_59": 500, "60_and_over": 300}
    band = np.repeat(list(sizes), list(sizes.values()))
    n = band.size
    repaid = rng.random(n) < 0.7
    approved = repaid | (band == unfair_band)
    noise = rng.random(n)
    return pd.DataFrame({
        "prediction_id": [f"p{i}" for i in range(n)], "age": band,
        "sex": np.where(rng.random(n) < 0.5, "female", "male"), "repaid": repaid,
        "approved": approved,
        # P(default): the candidate ranks well, production less so
        "candidate_score": np.where(repaid, 0.2, 0.6) + 0.5 * noise,
        "production_score": np.where(repaid, 0.3, 0.5) + 0.5 * rng.random(n)})


def gate_inputs(rows: pd.DataFrame, *, shap_nan: bool = False) -> dict[str, pd.DataFrame]:
    """The gate's input relations for one evaluation of candidate v2 against production v1."""
    scores, groups = [], []
    for role, version in (("candidate", "v2"), ("production", "v1")):
        scores.append(pd.DataFrame({
            "evaluation_id": EVAL, "model_name": "m", "model_version": version,
            "evaluation_role": role, "prediction_id": rows["prediction_id"],
            "score": rows[f"{role}_score"],
            "decision": np.where(rows["approved"], "approved", "declined"),
            "outcome": np.where(rows["repaid"], "repaid", "defaulted"),
            "scored_at": pd.Timestamp("2030-01-01")}))
        for attribute in ("sex", "age"):
            groups.append(pd.DataFrame({
                "evaluation_id": EVAL, "model_name": "m", "model_version": version,
                "evaluation_role": role, "prediction_id": rows["prediction_id"],
                "attribute": attribute, "group_name": rows[attribute],
                "score": rows[f"{role}_score"], "is_favorable_decision": rows["approved"],
                "is_favorable_outcome": rows["repaid"]}))
    shares = {"v2": [0.1, 0.05, 0.85], "v1": [0.08, 0.05, 0.87]}
    importance = pd.concat([pd.DataFrame({
        "model_name": "m", "model_version": version, "feature_name": ["age", "sex", "amount"],
        "mean_abs_contribution": share, "importance_share": share,
        "is_sensitive": [True, True, False]}) for version, share in shares.items()])
    if shap_nan:
        nan_row = (importance["model_version"] == "v2") & (importance["feature_name"] == "age")
        importance.loc[nan_row, ["mean_abs_contribution", "importance_share"]] = np.nan
    return {"staging.stg_raw__evaluation_scores": pd.concat(scores, ignore_index=True),
            "intermediate.int_evaluation_groups": pd.concat(groups, ignore_index=True),
            "marts.feature_importance": importance,
            "intermediate.int_validation_auc": pd.DataFrame({
                "model_name": "m", "model_version": ["v1", "v2"],
                "validation_auc": [0.7, 0.75]})}


def by_check(checks: pd.DataFrame) -> dict[str, dict]:
    return {r["check_name"]: r for r in checks.to_dict("records")}


def test_fair_better_candidate_is_promoted_with_reference_numbers(gate_engine):
    _, engine, compiled = gate_engine
    rows = held_out_rows()
    checks, gate = run_gate(engine, compiled, gate_inputs(rows))
    found = by_check(checks)
    assert gate["decision"].tolist() == ["promoted"], gate["reasons"].tolist()
    assert all(found[c]["passed"] and found[c]["is_assessable"] for c in found)
    y_default = (~rows["repaid"]).astype(int)
    candidate_auc = roc_auc_score(y_default, rows["candidate_score"])
    production_auc = roc_auc_score(y_default, rows["production_score"])
    np.testing.assert_allclose(gate["candidate_auc"].iloc[0], candidate_auc, rtol=1e-12)
    np.testing.assert_allclose(found["auc_margin"]["observed"], candidate_auc - production_auc,
                               rtol=1e-12)
    y_true, y_pred = rows["repaid"].astype(int), rows["approved"].astype(int)
    ratio = min(demographic_parity_ratio(y_true, y_pred, sensitive_features=rows[a])
                for a in ("sex", "age"))
    np.testing.assert_allclose(found["four_fifths"]["observed"], ratio, rtol=1e-12)
    odds = max(equalized_odds_difference(y_true, y_pred, sensitive_features=rows[a])
               for a in ("sex", "age"))
    np.testing.assert_allclose(found["equalized_odds"]["observed"], odds, atol=1e-12)
    np.testing.assert_allclose(found["sensitive_importance"]["observed"], 0.15, rtol=1e-12)


def test_one_nan_candidate_score_blocks(gate_engine):
    _, engine, compiled = gate_engine
    inputs = gate_inputs(held_out_rows())
    scores = inputs["staging.stg_raw__evaluation_scores"]
    scores.loc[scores.index[0], "score"] = np.nan  # the candidate's first row
    checks, gate = run_gate(engine, compiled, inputs)
    margin = by_check(checks)["auc_margin"]
    assert gate["decision"].tolist() == ["blocked"]
    assert not margin["passed"] and not margin["is_assessable"]
    assert pd.isna(gate["candidate_auc"].iloc[0])
    assert "1 of 1600 scores are null or not finite" in margin["detail"]


def test_over_60_suppressed_by_min_group_size_300_blocks_naming_the_group(gate_engine):
    """The incident: 269 held-out over-60s, approved even when they default (FPR 1 against 0).
    With min_group_size 30 equalized odds blocks; with 300 the group is suppressed and age is
    left with one group: still blocked, and the sentence names the over-60s."""
    _, engine, compiled = gate_engine
    sizes = {"under_25": 100, "25_39": 131, "40_59": 1500, "60_and_over": 269}
    inputs = gate_inputs(held_out_rows(sizes=sizes, unfair_band="60_and_over"))
    checks, gate = run_gate(engine, compiled, inputs)
    assert gate["decision"].tolist() == ["blocked"]
    assert "equalized odds failed for age" in by_check(checks)["equalized_odds"]["detail"]
    checks, gate = run_gate(engine, compiled, inputs, thresholds={"min_group_size": 300})
    odds = by_check(checks)["equalized_odds"]
    assert gate["decision"].tolist() == ["blocked"]
    assert not odds["passed"] and not odds["is_assessable"]
    assert ("age has fewer than two groups of at least min_group_size 300 (suppressed: "
            "25_39 (131 rows), 60_and_over (269 rows), under_25 (100 rows))") in odds["detail"]
    assert "60_and_over" in gate["reasons"].iloc[0]


def test_all_age_groups_but_one_suppressed_blocks(gate_engine):
    _, engine, compiled = gate_engine
    sizes = {"under_25": 10, "25_39": 12, "40_59": 1500, "60_and_over": 20}
    checks, gate = run_gate(engine, compiled, gate_inputs(held_out_rows(sizes=sizes)))
    four_fifths = by_check(checks)["four_fifths"]
    assert gate["decision"].tolist() == ["blocked"]
    assert not four_fifths["is_assessable"]
    assert "age has fewer than two groups of at least min_group_size 30" in four_fifths["detail"]


def test_group_without_unfavourable_labels_blocks_naming_it(gate_engine):
    _, engine, compiled = gate_engine
    rows = held_out_rows()
    rows.loc[rows["age"] == "60_and_over", ["repaid", "approved"]] = True
    checks, gate = run_gate(engine, compiled, gate_inputs(rows))
    odds = by_check(checks)["equalized_odds"]
    assert gate["decision"].tolist() == ["blocked"]
    assert not odds["is_assessable"]
    assert odds["detail"] == ("equalized odds not assessable for age: group 60_and_over has no "
                              "labelled unfavourable outcomes")


def test_nan_false_positive_rate_blocks(gate_engine):
    """A parity table whose FPR is NaN for one group (a NaN the SQL must not let pass)."""
    _, engine, compiled = gate_engine
    inputs = gate_inputs(held_out_rows())
    parity = parity_of(engine, compiled, inputs)
    nan_row = (parity["attribute"] == "age") & (parity["group_name"] == "40_59") & (
        parity["evaluation_role"] == "candidate")
    parity.loc[nan_row, "false_positive_rate"] = np.nan
    checks, gate = run_gate(engine, compiled, {**inputs, "marts.candidate_parity": parity},
                            from_parity=True)
    odds = by_check(checks)["equalized_odds"]
    assert gate["decision"].tolist() == ["blocked"]
    assert not odds["passed"] and not odds["is_assessable"]
    assert "group 40_59 has true positive rate 1.000 and false positive rate not finite" in (
        odds["detail"])


def test_nan_shap_importance_blocks(gate_engine):
    _, engine, compiled = gate_engine
    checks, gate = run_gate(engine, compiled, gate_inputs(held_out_rows(), shap_nan=True))
    importance = by_check(checks)["sensitive_importance"]
    assert gate["decision"].tolist() == ["blocked"]
    assert not importance["is_assessable"]
    assert "1 of the candidate's SHAP importances are null or not finite" in importance["detail"]


def test_fair_candidate_under_the_margin_is_skipped_and_nan_validation_auc_blocks(gate_engine):
    _, engine, compiled = gate_engine
    rows = held_out_rows()
    rows["production_score"] = rows["candidate_score"]  # same ranking: delta 0
    inputs = gate_inputs(rows)
    checks, gate = run_gate(engine, compiled, inputs)
    assert gate["decision"].tolist() == ["skipped"]
    assert "does not beat production" in gate["reasons"].iloc[0]
    inputs["intermediate.int_validation_auc"]["validation_auc"] = [0.7, np.nan]
    checks, gate = run_gate(engine, compiled, inputs)
    floor = by_check(checks)["validation_auc_floor"]
    assert gate["decision"].tolist() == ["blocked"] and not floor["is_assessable"]


def parity_of(engine: sa.Engine, compiled: dict[str, str], inputs) -> pd.DataFrame:
    """candidate_parity as the real SQL builds it from the rows."""
    run_gate(engine, compiled, inputs)
    with engine.connect() as conn:
        return pd.read_sql(sa.text("select * from marts.candidate_parity"), conn)



def test_unfair_production_is_judged_on_the_same_rows_and_named_with_its_way_out(gate_engine):
    """Production approves every defaulter over 60 (its FPR there 1, elsewhere 0): it fails
    equalized odds on the held-out rows, by fairlearn's numbers, with an interval wholly above
    the bound, and the four-fifths rule (60+ approved at 1.0 against 0.7); the fair candidate,
    registered as a mitigated retrain, is promoted and named as the way out. Every fairness
    check states its interval around the point estimate."""
    _, engine, compiled = gate_engine
    rows = held_out_rows()
    inputs = gate_inputs(rows)
    unfair = (rows["age"] == "60_and_over") & ~rows["repaid"]
    scores, groups = (inputs["staging.stg_raw__evaluation_scores"],
                      inputs["intermediate.int_evaluation_groups"])
    scores.loc[(scores["evaluation_role"] == "production")
               & scores["prediction_id"].isin(rows.loc[unfair, "prediction_id"]),
               "decision"] = "approved"
    groups.loc[(groups["evaluation_role"] == "production")
               & groups["prediction_id"].isin(rows.loc[unfair, "prediction_id"]),
               "is_favorable_decision"] = True
    inputs["staging.stg_raw__model_registry"] = pd.DataFrame({
        "registry_event_id": ["r1", "r2"], "model_name": "m", "model_version": ["v1", "v2"],
        "registry_event": "registered", "stage": ["production", "candidate"],
        "recorded_at": pd.Timestamp("2030-01-01"), "training_method": ["naive", "mitigated"],
        "answers_version": [None, "v1b"]})
    checks, gate = run_gate(engine, compiled, inputs)
    found = by_check(checks)
    assert gate["decision"].tolist() == ["promoted"], gate["reasons"].tolist()
    odds = found["equalized_odds"]
    production_pred = (rows["approved"] | unfair).astype(int)
    expected = max(equalized_odds_difference(rows["repaid"].astype(int), production_pred,
                                             sensitive_features=rows[a]) for a in ("sex", "age"))
    np.testing.assert_allclose(odds["production_observed"], expected, atol=1e-12)
    assert odds["production_ci_low"] > odds["bound"] and not odds["production_passed"]
    assert not found["four_fifths"]["production_passed"]  # 60+ approved 1.0 vs 0.7: ratio 0.7
    assert pd.isna(found["auc_margin"]["production_passed"])
    for name in ("four_fifths", "equalized_odds"):
        check = found[name]
        assert check["ci_low"] <= check["observed"] <= check["ci_high"]
        assert "interval" in check["detail"] and "clear" in check["detail"]
    row = gate.iloc[0]
    assert (row["training_method"], row["answers_version"]) == ("mitigated", "v1b")
    assert row["production_failed_checks"] == "equalized_odds, four_fifths"
    assert row["production_way_out"].startswith("promote the mitigated candidate v2")


def test_unfair_production_without_an_answer_is_frozen_for_review(gate_engine):
    """The same unfair production, the candidate blocked by its own AUC floor and no earlier
    version that passed: the way out is a freeze of automated decisions."""
    _, engine, compiled = gate_engine
    rows = held_out_rows()
    inputs = gate_inputs(rows)
    inputs["intermediate.int_validation_auc"]["validation_auc"] = [0.7, 0.5]
    groups = inputs["intermediate.int_evaluation_groups"]
    groups.loc[(groups["evaluation_role"] == "production") & (groups["group_name"] == "female"),
               "is_favorable_decision"] = False  # production approves no woman: ratio 0
    checks, gate = run_gate(engine, compiled, inputs)
    assert gate["decision"].tolist() == ["blocked"]
    row = gate.iloc[0]
    assert row["production_failed_checks"] == "equalized_odds, four_fifths"
    assert row["production_way_out"].startswith("freeze automated decisions of m for review")
