"""Performance and fairness metrics against scikit-learn and fairlearn, plus hand cases."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
)
from fairlearn.metrics import false_positive_rate as fl_false_positive_rate
from fairlearn.metrics import selection_rate as fl_selection_rate
from fairlearn.metrics import true_positive_rate as fl_true_positive_rate
from oracles import (
    fairness_summary,
    false_positive_rate,
    group_metrics,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import (
    roc_auc_score,
)

from models_ml.metrics import (
    bayes_threshold,
    cost_optimal_threshold,
    decision_cost,
    roc_auc,
)


def _random_scores(seed: int, n: int = 600):
    rng = np.random.default_rng(seed)
    y = rng.binomial(1, 0.3, n)
    score = np.clip(0.3 + 0.25 * y + rng.normal(0, 0.2, n), 0, 1).round(2)  # ties on purpose
    return y, score


@pytest.mark.parametrize("seed", range(6))
def test_roc_auc_matches_sklearn(seed):
    y, score = _random_scores(seed)
    np.testing.assert_allclose(roc_auc(y, score), roc_auc_score(y, score), rtol=1e-12)


def test_roc_auc_hand_cases():
    # Scores 0.5 for both classes: one positive-negative pair tied -> counts half -> 0.5.
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    # positives {0.4, 0.8}, negatives {0.4, 0.1}: pairs (0.4,0.4)=0.5, (0.4,0.1)=1,
    # (0.8,0.4)=1, (0.8,0.1)=1 -> 3.5 / 4 = 0.875
    assert roc_auc([1, 1, 0, 0], [0.4, 0.8, 0.4, 0.1]) == 0.875
    assert roc_auc([1, 1, 1], [0.2, 0.3, 0.9]) is None
    assert roc_auc([], []) is None


def test_undefined_rates_are_none():
    assert true_positive_rate([0, 0], [1, 0]) is None
    assert false_positive_rate([1, 1], [1, 0]) is None
    assert selection_rate([]) is None


def test_non_binary_labels_are_refused():
    with pytest.raises(ValueError, match="y_true must hold only 0/1"):
        roc_auc([0, 2, 1], [0.1, 0.2, 0.3])


def _fair_data(seed: int, n: int = 900):
    rng = np.random.default_rng(seed)
    groups = rng.choice(["female", "male", "other"], n, p=[0.4, 0.5, 0.1])
    y_true = rng.binomial(1, 0.7, n)
    boost = np.where(groups == "male", 0.15, 0.0)
    y_pred = rng.binomial(1, np.clip(0.4 + 0.3 * y_true + boost, 0, 1))
    return y_true, y_pred, groups


@pytest.mark.parametrize("seed", range(5))
def test_group_metrics_match_fairlearn_metric_frame(seed):
    y_true, y_pred, groups = _fair_data(seed)
    frame = group_metrics(y_true, y_pred, groups, min_group_size=1).set_index("group_name")
    reference = MetricFrame(
        metrics={"selection_rate": fl_selection_rate, "tpr": fl_true_positive_rate,
                 "fpr": fl_false_positive_rate, "count": lambda t, p: len(t)},
        y_true=y_true, y_pred=y_pred, sensitive_features=groups).by_group
    np.testing.assert_allclose(frame["selection_rate"], reference["selection_rate"], rtol=1e-12)
    np.testing.assert_allclose(frame["true_positive_rate"].astype(float), reference["tpr"],
                               rtol=1e-12)
    np.testing.assert_allclose(frame["false_positive_rate"].astype(float), reference["fpr"],
                               rtol=1e-12)
    assert frame["n_predictions"].tolist() == reference["count"].tolist()


@pytest.mark.parametrize("seed", range(5))
def test_fairness_summary_matches_fairlearn(seed):
    y_true, y_pred, groups = _fair_data(seed)
    summary = fairness_summary(y_true, y_pred, groups, min_group_size=1)
    kwargs = {"y_true": y_true, "y_pred": y_pred, "sensitive_features": groups}
    np.testing.assert_allclose(summary.demographic_parity_difference,
                               demographic_parity_difference(**kwargs), rtol=1e-12)
    np.testing.assert_allclose(summary.demographic_parity_ratio,
                               demographic_parity_ratio(**kwargs), rtol=1e-12)
    np.testing.assert_allclose(summary.equalized_odds_difference,
                               equalized_odds_difference(**kwargs), rtol=1e-12)
    assert summary.n_groups == 3 and summary.n_groups_suppressed == 0


def test_suppressed_groups_and_unlabelled_rows_are_left_out():
    y_true, y_pred, groups = _fair_data(11, n=600)
    labels = y_true.astype(float)
    labels[::3] = np.nan  # a third of the predictions have no label yet
    groups = groups.astype(object)
    groups[:8] = "tiny"  # a group below the minimum size
    summary = fairness_summary(labels, y_pred, groups, min_group_size=30)
    frame = group_metrics(labels, y_pred, groups, min_group_size=30).set_index("group_name")
    assert frame.loc["tiny", "is_suppressed"] and summary.n_groups_suppressed == 1
    assert frame["n_labeled"].sum() == int(np.sum(~np.isnan(labels)))
    big = np.isin(groups, ["female", "male", "other"])
    labeled = big & ~np.isnan(labels)
    np.testing.assert_allclose(summary.demographic_parity_difference, demographic_parity_difference(
        y_true[big], y_pred[big], sensitive_features=groups[big]), rtol=1e-12)
    np.testing.assert_allclose(summary.equalized_odds_difference, equalized_odds_difference(
        y_true[labeled], y_pred[labeled], sensitive_features=groups[labeled]), rtol=1e-12)


def test_group_without_labels_has_no_rates():
    # group b: 2 predictions, both unlabelled -> selection rate 1/2, no TPR/FPR.
    frame = group_metrics([1, 0, None, None], [1, 0, 1, 0], ["a", "a", "b", "b"],
                          min_group_size=1).set_index("group_name")
    assert frame.loc["b", "n_labeled"] == 0
    assert frame.loc["b", "selection_rate"] == 0.5
    assert np.isnan(frame.loc["b", "true_positive_rate"])  # missing in the frame
    assert np.isnan(frame.loc["b", "false_positive_rate"])
    assert frame.loc["a", "true_positive_rate"] == 1.0
    assert frame.loc["a", "false_positive_rate"] == 0.0
    # b has no rates, so equalized odds only sees group a: max - min over one group is 0.
    summary = fairness_summary([1, 0, None, None], [1, 0, 1, 0], ["a", "a", "b", "b"],
                               min_group_size=1)
    assert summary.equalized_odds_difference == 0.0
    assert summary.demographic_parity_difference == 0.0  # 0.5 in both groups


def test_all_groups_suppressed_gives_no_summary():
    summary = fairness_summary([1, 0], [1, 1], ["a", "b"], min_group_size=5)
    assert summary.demographic_parity_difference is None and summary.n_groups == 0


@pytest.mark.parametrize("seed", range(4))
def test_cost_optimal_threshold_beats_every_other_threshold(seed):
    y, score = _random_scores(seed, n=300)
    best = cost_optimal_threshold(y, score, 10.0, 1.0)
    best_cost = decision_cost(y, score, best, cost_false_approval=10.0, cost_false_refusal=1.0)
    grid = np.concatenate([np.linspace(-0.01, 1.01, 1021), score])
    costs = [decision_cost(y, score, t, cost_false_approval=10.0, cost_false_refusal=1.0)
             for t in grid]
    assert best_cost == min(costs)
    assert best in set(score.tolist()) | {np.nextafter(score.max(), np.inf)}


def test_cost_optimal_threshold_hand_case():
    # scores 0.1 (repaid), 0.2 (default), 0.3 (repaid), 0.9 (default); c_FA = 10, c_FR = 1.
    # t=0.1 declines all: 2 refusals = 2; t=0.2: 1 refusal (0.3) = 1; t=0.3: misses 0.2 = 10;
    # t=0.9: 10 + 0 = 10 (0.3 approved); above 0.9: 20. Best is 0.2.
    assert cost_optimal_threshold([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.9], 10.0, 1.0) == 0.2
    # Approving everyone wins when refusals are dearer: the threshold is just above the max.
    assert cost_optimal_threshold([0, 0, 1], [0.2, 0.5, 0.4], 1.0, 10.0) > 0.5
    assert bayes_threshold(10.0, 1.0) == pytest.approx(1 / 11)
