"""The promotion gate: each branch, the delta boundary, failed and errored checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_ratio, equalized_odds_difference

from models_ml.promotion import (
    MISSING_THRESHOLD_ERROR,
    CheckResult,
    GateThresholds,
    check_equalized_odds,
    check_four_fifths,
    check_sensitive_importance,
    check_validation_auc_floor,
    decide_promotion,
    parity_table,
)

SEED_THRESHOLDS = {  # as read from seeds/thresholds.csv (threshold_name -> threshold_value)
    "drift_alpha": "0.01", "four_fifths_ratio": "0.8", "equalized_odds_bound": "0.1",
    "promotion_delta": "0.01", "validation_auc_floor": "0.6",
    "sensitive_importance_share_max": "0.25", "sensitive_importance_jump_max": "0.05",
}
THRESHOLDS = GateThresholds.from_mapping(SEED_THRESHOLDS)
PASS = CheckResult("four_fifths", True, 0.9, 0.8, "four-fifths rule holds")


def _parity(rows):
    return pd.DataFrame(rows, columns=["attribute", "group_name", "selection_rate",
                                       "true_positive_rate", "false_positive_rate",
                                       "is_suppressed"])


def test_thresholds_from_mapping():
    assert THRESHOLDS.promotion_delta == 0.01 and THRESHOLDS.four_fifths_ratio == 0.8
    missing = {k: v for k, v in SEED_THRESHOLDS.items() if k != "equalized_odds_bound"}
    with pytest.raises(KeyError) as raised:
        GateThresholds.from_mapping(missing)
    assert raised.value.args[0] == MISSING_THRESHOLD_ERROR.format(name="equalized_odds_bound")


def test_four_fifths_failure_names_groups_and_numbers():
    rows = _parity([("sex", "female", 0.41, 0.5, 0.2, False),
                    ("sex", "male", 0.66, 0.6, 0.2, False),
                    ("age", "under_25", 0.60, 0.5, 0.2, False),
                    ("age", "25_39", 0.62, 0.5, 0.2, False),
                    ("age", "60_and_over", 0.05, None, None, True)])  # suppressed: ignored
    result = check_four_fifths(rows, ratio_min=0.8)
    assert not result.passed
    # 0.41 / 0.66 = 0.621...
    assert result.detail == ("four-fifths rule failed for sex: ratio 0.62 < 0.80 "
                             "(female 0.41 vs male 0.66)")
    assert result.observed == pytest.approx(0.41 / 0.66)


def test_four_fifths_pass_and_not_assessable():
    rows = _parity([("sex", "female", 0.60, 0.5, 0.2, False),
                    ("sex", "male", 0.66, 0.6, 0.2, False)])
    assert check_four_fifths(rows, ratio_min=0.8).passed
    # ratio exactly at the bound passes: 0.8 / 1.0
    edge = _parity([("sex", "female", 0.8, 0.5, 0.2, False), ("sex", "male", 1.0, 0.5, 0.2, False)])
    assert check_four_fifths(edge, ratio_min=0.8).passed
    lonely = _parity([("sex", "female", 0.60, 0.5, 0.2, False),
                      ("sex", "male", 0.10, 0.5, 0.2, True)])
    result = check_four_fifths(lonely, ratio_min=0.8)
    assert not result.passed and "not assessable" in result.detail


def test_equalized_odds_uses_the_larger_of_tpr_and_fpr_gaps():
    # TPR gap 0.9 - 0.7 = 0.2, FPR gap 0.3 - 0.25 = 0.05 -> 0.2 > 0.1
    rows = _parity([("age", "under_25", 0.5, 0.7, 0.25, False),
                    ("age", "25_39", 0.5, 0.9, 0.30, False)])
    result = check_equalized_odds(rows, bound=0.1)
    assert not result.passed and result.observed == pytest.approx(0.2)
    assert result.detail == ("equalized odds failed for age: difference 0.20 > 0.10 "
                             "(TPR under_25 0.70 vs 25_39 0.90)")
    fair = _parity([("age", "under_25", 0.5, 0.85, 0.25, False),
                    ("age", "25_39", 0.5, 0.9, 0.30, False)])
    assert check_equalized_odds(fair, bound=0.1).passed


def test_checks_on_parity_table_agree_with_fairlearn():
    rng = np.random.default_rng(4)
    n = 2000
    sex = rng.choice(["female", "male"], n)
    age_band = rng.choice(["under_25", "25_39", "40_59"], n)
    y_true = rng.binomial(1, 0.7, n)
    y_pred = rng.binomial(1, np.clip(0.35 + 0.3 * y_true + np.where(sex == "male", 0.2, 0), 0, 1))
    table = parity_table(y_true, y_pred, {"sex": sex, "age": age_band}, min_group_size=30)
    assert set(table["attribute"]) == {"sex", "age"}
    four_fifths = check_four_fifths(table, ratio_min=0.8)
    worst_ratio = min(demographic_parity_ratio(y_true, y_pred, sensitive_features=g)
                      for g in (sex, age_band))
    np.testing.assert_allclose(four_fifths.observed, worst_ratio, rtol=1e-12)
    odds = check_equalized_odds(table, bound=0.1)
    worst_odds = max(equalized_odds_difference(y_true, y_pred, sensitive_features=g)
                     for g in (sex, age_band))
    np.testing.assert_allclose(odds.observed, worst_odds, rtol=1e-12)
    assert not four_fifths.passed and "sex" in four_fifths.detail


def test_sensitive_importance_share_and_jump():
    assert check_sensitive_importance(0.10, 0.08, share_max=0.25, jump_max=0.05).passed
    too_high = check_sensitive_importance(0.31, None, share_max=0.25, jump_max=0.05)
    assert not too_high.passed and "31.0%" in too_high.detail
    jump = check_sensitive_importance(0.20, 0.12, share_max=0.25, jump_max=0.05)
    assert not jump.passed and "rose from 12.0% to 20.0%" in jump.detail


def test_validation_auc_floor():
    assert check_validation_auc_floor(0.6, floor=0.6).passed
    assert not check_validation_auc_floor(0.59, floor=0.6).passed
    assert not check_validation_auc_floor(None, floor=0.6).passed


def test_promoted_when_better_by_delta_and_fair():
    decision = decide_promotion(0.83, 0.80, [PASS], THRESHOLDS)
    assert decision.decision == "promoted"
    assert decision.delta == pytest.approx(0.03)
    assert "beats production" in decision.reasons[0]


@pytest.mark.parametrize(("candidate", "production"), [(0.81, 0.80), (0.82, 0.81)])
def test_exactly_delta_is_promoted(candidate, production):
    # In floats 0.81 - 0.80 is 0.010000000000000009 and 0.82 - 0.81 is 0.009999999999999898:
    # both are exactly the delta on paper and must be promoted.
    assert decide_promotion(candidate, production, [PASS], THRESHOLDS).decision == "promoted"


def test_skipped_when_not_better_by_delta():
    decision = decide_promotion(0.805, 0.80, [PASS], THRESHOLDS)
    assert decision.decision == "skipped"
    assert decision.reasons == ["candidate AUC 0.805 does not beat production 0.800 by 0.010 "
                                "(delta +0.005)"]


def test_first_fair_candidate_is_promoted_without_production():
    decision = decide_promotion(0.70, None, [PASS], THRESHOLDS)
    assert decision.decision == "promoted" and decision.delta is None
    assert decision.reasons[0].startswith("no production model")


def test_failed_check_blocks_even_a_much_better_candidate():
    unfair = CheckResult("four_fifths", False, 0.62, 0.8,
                         "four-fifths rule failed for sex: ratio 0.62 < 0.80 "
                         "(female 0.41 vs male 0.66)")
    decision = decide_promotion(0.95, 0.80, [PASS, unfair], THRESHOLDS)
    assert decision.decision == "blocked"
    assert decision.reasons == [unfair.detail]


def test_errored_check_blocks_fail_closed():
    decision = decide_promotion(0.95, 0.80, [PASS, RuntimeError("parity query failed")],
                                THRESHOLDS)
    assert decision.decision == "blocked"
    assert decision.reasons == ["check errored: RuntimeError: parity query failed"]
    assert decision.errors == decision.reasons


def test_no_checks_or_unknown_auc_blocks():
    assert decide_promotion(0.95, 0.80, [], THRESHOLDS).decision == "blocked"
    blocked = decide_promotion(None, 0.80, [PASS], THRESHOLDS)
    assert blocked.decision == "blocked" and blocked.reasons == ["candidate AUC unknown"]
