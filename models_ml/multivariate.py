"""Multivariate drift: a domain classifier that tells a day's inputs from a baseline's.

Each feature may keep its own distribution while their joint one changes (a correlation that
flips): no univariate test sees it, a classifier trained to tell the two samples apart does.
LightGBM is trained k-fold on the baseline rows (label 0) and the day's rows (label 1); every
row gets the score of the fold that did not train on it. Those out-of-fold scores and the
features' shares of the classifiers' gain are the raw facts written here; their AUC, its band
and the verdict are defined in SQL (marts.multivariate_drift), where 0.5 means the classifier
cannot tell the samples apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

FOLDS = 5
PARAMS = {"objective": "binary", "n_estimators": 100, "learning_rate": 0.1, "num_leaves": 15,
          "min_child_samples": 20, "subsample": 1.0, "colsample_bytree": 1.0, "verbose": -1,
          "n_jobs": 1, "deterministic": True, "force_row_wise": True}


@dataclass(frozen=True)
class DomainClassifierResult:
    """Out-of-fold scores (one row per input row: side baseline or current, row_id, fold, score)
    and each feature's
    share of the summed gain over the folds (feature_name, gain_share)."""

    scores: pd.DataFrame
    importance: pd.DataFrame


def sample_rows(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most `max_rows` rows of `frame`, drawn without replacement (all when fewer)."""
    if max_rows <= 0:
        raise ValueError(f"sample_rows: max_rows must be positive, got {max_rows}")
    if len(frame) <= max_rows:
        return frame
    return frame.sample(n=max_rows, random_state=seed)


def _encoded(frame: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    """Numbers as floats, categories as pandas categories over both samples' values."""
    encoded = frame.copy()
    for name in encoded.columns:
        if name in categorical:
            encoded[name] = encoded[name].astype("string").astype("category")
        else:
            encoded[name] = pd.to_numeric(encoded[name], errors="coerce").astype(float)
    return encoded


def domain_classifier(baseline: pd.DataFrame, current: pd.DataFrame, categorical: list[str],
                      *, folds: int = FOLDS, seed: int = 0) -> DomainClassifierResult:
    """Train the k-fold domain classifier on `baseline` (label 0) and `current` (label 1),
    both indexed by row id with one column per feature, and return its out-of-fold scores and
    gain shares. Raises ValueError when either side has fewer rows than folds."""
    if len(baseline) < folds or len(current) < folds:
        raise ValueError(f"domain_classifier: {len(baseline)} baseline and {len(current)} "
                         f"current rows; need at least {folds} on each side")
    features = list(baseline.columns)
    both = pd.concat([baseline[features], current[features]], ignore_index=True)
    x = _encoded(both, [c for c in categorical if c in features])
    y = np.concatenate([np.zeros(len(baseline), dtype=int), np.ones(len(current), dtype=int)])
    side = np.where(y == 1, "current", "baseline")
    row_ids = np.concatenate([baseline.index.astype(str), current.index.astype(str)])
    scores, fold_of = np.empty(len(y)), np.empty(len(y), dtype=int)
    gain = np.zeros(len(features))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(x, y)):
        model = lgb.LGBMClassifier(**PARAMS, random_state=seed + fold)
        model.fit(x.iloc[train], y[train])
        scores[test] = model.predict_proba(x.iloc[test])[:, 1]
        fold_of[test] = fold
        gain += model.booster_.feature_importance(importance_type="gain")
    total = gain.sum()
    importance = pd.DataFrame({"feature_name": features,
                               "gain_share": gain / total if total > 0 else np.zeros_like(gain)})
    return DomainClassifierResult(
        scores=pd.DataFrame({"side": side, "row_id": row_ids, "fold": fold_of,
                             "score": scores}),
        importance=importance)
