"""Test oracle of the label-free estimates: scikit-learn and fairlearn on weighted rows.

Confidence-based estimation counts each prediction as a positive with weight p (its calibrated
probability of the unfavourable outcome) and as a negative with weight 1 − p. Every estimate is
then the ordinary metric of that doubled, weighted set of rows, so scikit-learn's
roc_auc_score, precision / recall / f1 / accuracy_score and fairlearn's true and false positive
rates with `sample_weight` compute it independently of the SQL. The calibration is
scikit-learn's IsotonicRegression fitted here on the same validation rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn import metrics as fm
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score


def calibrators(validation: pd.DataFrame, unfavourable: str = "defaulted") -> dict:
    """Per version with both classes in its validation rows: the fitted IsotonicRegression."""
    fitted = {}
    for version, rows in validation.groupby("model_version"):
        y = (rows["outcome"] == unfavourable).astype(int)
        if y.nunique() == 2:
            fitted[version] = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(
                rows["score"].to_numpy(dtype=float), y.to_numpy())
    return fitted


def doubled(score: np.ndarray, p: np.ndarray, predicted: np.ndarray):
    """Each row as a positive weighted p and a negative weighted 1 − p."""
    return (np.concatenate([np.ones_like(p), np.zeros_like(p)]).astype(int),
            np.concatenate([score, score]), np.concatenate([predicted, predicted]).astype(int),
            np.concatenate([p, 1 - p]))


def estimates(score: np.ndarray, p: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """The five estimated metrics of one day (positive = unfavourable)."""
    y, s, yhat, w = doubled(score, p, predicted)
    nan = float("nan")
    return {
        "estimated_roc_auc": roc_auc_score(y, s, sample_weight=w) if 0 < p.sum() < len(p)
        else nan,
        "estimated_precision": precision_score(y, yhat, sample_weight=w, zero_division=np.nan),
        "estimated_recall": recall_score(y, yhat, sample_weight=w, zero_division=np.nan),
        "estimated_f1": f1_score(y, yhat, sample_weight=w, zero_division=np.nan),
        "estimated_accuracy": accuracy_score(y, yhat, sample_weight=w),
    }


def group_rates(p: np.ndarray, favourable_decision: np.ndarray,
                groups: np.ndarray) -> pd.DataFrame:
    """fairlearn's true and false positive rates per group in group_parity's convention
    (favourable outcome = positive, weight 1 − p; favourable decision = positive prediction)."""
    y_favourable, _, approved, w = doubled(np.zeros_like(p), 1 - p, favourable_decision)
    frame = fm.MetricFrame(
        metrics={"estimated_true_positive_rate": fm.true_positive_rate,
                 "estimated_false_positive_rate": fm.false_positive_rate},
        y_true=y_favourable, y_pred=approved,
        sensitive_features=np.concatenate([groups, groups]),
        sample_params={"estimated_true_positive_rate": {"sample_weight": w},
                       "estimated_false_positive_rate": {"sample_weight": w}})
    return frame.by_group.reset_index().rename(columns={"sensitive_feature_0": "group_name"})


def simulated_spread(p: np.ndarray, predicted: np.ndarray, draws: int,
                     rng: np.random.Generator) -> dict[str, float]:
    """The standard deviation of the realized precision, recall, F1, accuracy and ROC AUC when
    the labels are drawn Bernoulli(p) `draws` times: what the sampling band stands for."""
    y = rng.random((draws, p.size)) < p
    yhat = predicted.astype(bool)
    tp = (y & yhat).sum(axis=1)
    positives = y.sum(axis=1)
    fp, fn = yhat.sum() - tp, positives - tp
    tn = p.size - tp - fp - fn
    spread = {
        "precision": np.std(tp / yhat.sum()),
        "recall": np.nanstd(np.where(positives > 0, tp / np.maximum(positives, 1), np.nan)),
        "f1": np.std(2 * tp / (2 * tp + fp + fn)),
        "accuracy": np.std((tp + tn) / p.size),
    }
    return spread


def simulated_auc_spread(score: np.ndarray, p: np.ndarray, draws: int,
                         rng: np.random.Generator) -> float:
    """The standard deviation of roc_auc_score over `draws` Bernoulli(p) label draws."""
    values = []
    for _ in range(draws):
        y = (rng.random(p.size) < p).astype(int)
        if 0 < y.sum() < y.size:
            values.append(roc_auc_score(y, score))
    return float(np.std(values))
