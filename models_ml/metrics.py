"""Model metrics the training step needs while it trains (AUC of a single feature for the
leakage guard, the cost-optimal decision threshold), and nothing else: precision, recall,
accuracy and Brier are defined once, in dbt (marts.model_performance).

They take the unfavourable outcome (default, churn) as the positive class, as the prediction's
score does. The monitoring and gate numbers (AUC of an evaluation, fairness ratios) are defined
in dbt; the Python references of the fairness ones live in tests/python/oracles.py.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

BINARY_VALUES_ERROR = "{name} must hold only 0/1 (or booleans), got values {values}"
LENGTH_MISMATCH_ERROR = "{name} has {n_other} rows but y_true has {n_true}"



def _binary(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == bool:
        return array.astype(np.int64).ravel()
    array = np.asarray(array, dtype=float).ravel()
    bad = np.unique(array[(array != 0) & (array != 1)])
    if bad.size:
        raise ValueError(BINARY_VALUES_ERROR.format(name=name, values=bad[:5].tolist()))
    return array.astype(np.int64)


def _same_length(y_true: np.ndarray, other: np.ndarray, name: str) -> None:
    if other.shape[0] != y_true.shape[0]:
        raise ValueError(LENGTH_MISMATCH_ERROR.format(name=name, n_other=other.shape[0],
                                                      n_true=y_true.shape[0]))



def roc_auc(y_true: ArrayLike, score: ArrayLike) -> float | None:
    """AUC = (positives' average-rank sum - n1(n1+1)/2) / (n1 n0), Mann-Whitney; None if 1 class."""
    y = _binary(y_true, "y_true")
    s = np.asarray(score, dtype=float).ravel()
    _same_length(y, s, "score")
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = stats.rankdata(s, method="average")
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))





def decision_cost(y_default: ArrayLike, p_default: ArrayLike, threshold: float, *,
                  cost_false_approval: float, cost_false_refusal: float) -> float:
    """Total cost when rows with P(default) >= threshold are declined and the others approved."""
    y = _binary(y_default, "y_default")
    p = np.asarray(p_default, dtype=float).ravel()
    _same_length(y, p, "p_default")
    declined = p >= threshold
    return float(cost_false_approval * np.sum((y == 1) & ~declined)
                 + cost_false_refusal * np.sum((y == 0) & declined))


def bayes_threshold(cost_false_approval: float, cost_false_refusal: float) -> float:
    """Closed-form Bayes threshold c_FR / (c_FA + c_FR) for calibrated probabilities."""
    return float(cost_false_refusal / (cost_false_approval + cost_false_refusal))


def cost_optimal_threshold(y_default: ArrayLike, p_default: ArrayLike, cost_false_approval: float,
                           cost_false_refusal: float) -> float:
    """Threshold t on P(default) (decline when p >= t) minimising total cost on these rows.

    Total cost = c_FA * #(default, p < t) + c_FR * #(repaid, p >= t). Candidates are the unique
    scores plus the next float above the largest (approve everyone); the smallest minimiser wins.
    With calibrated probabilities the expected-cost optimum is the Bayes threshold
    c_FR / (c_FA + c_FR) (1/11 for costs 10 and 1), see bayes_threshold.
    """
    y = _binary(y_default, "y_default")
    p = np.asarray(p_default, dtype=float).ravel()
    _same_length(y, p, "p_default")
    if p.size == 0:
        raise ValueError("cost_optimal_threshold needs at least one scored row, got 0")
    order = np.argsort(p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    candidates = np.append(np.unique(p_sorted), np.nextafter(p_sorted[-1], np.inf))
    n_approved = np.searchsorted(p_sorted, candidates, side="left")
    defaults_before = np.concatenate([[0], np.cumsum(y_sorted)])
    repaid_before = np.arange(p.size + 1) - defaults_before
    false_approvals = defaults_before[n_approved]
    false_refusals = repaid_before[-1] - repaid_before[n_approved]
    cost = cost_false_approval * false_approvals + cost_false_refusal * false_refusals
    return float(candidates[int(np.argmin(cost))])
