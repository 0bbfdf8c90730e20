"""A small LightGBM credit scorer: P(default) from the nine German credit features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

FEATURES: tuple[str, ...] = (
    "sex",
    "age",
    "job",
    "housing",
    "saving_accounts",
    "checking_account",
    "credit_amount",
    "duration",
    "purpose",
)
CATEGORICAL_FEATURES: tuple[str, ...] = (
    "sex",
    "housing",
    "saving_accounts",
    "checking_account",
    "purpose",
)
# Age band edges of seeds/sensitive_groups.csv (under_25, 25_39, 40_59, 60_and_over).
AGE_BAND_EDGES: tuple[int, ...] = (25, 40, 60)
# Share of training rows approved when no threshold is given (see fit_credit_model).
DEFAULT_APPROVAL_RATE = 0.7
# Exponent on the reweighing weights: 1 equalises default rates across sex × age band in the
# weighted rows, but age still acts through proxies (duration, housing, amount), leaving the
# under-25 selection rate near 0.85 of the highest band, so that daily ratios on ~1000
# predictions dip under 0.8 on noise alone; 1.5 over-corrects and leaves a margin (~0.95).
REWEIGHING_STRENGTH = 1.5
APPROVED = "approved"
DECLINED = "declined"

ERROR_MISSING_COLUMN = "german credit data lacks column {column!r}"
ERROR_TARGET_LENGTH = "target_default has {n_target} values for {n_rows} rows"
ERROR_APPROVAL_RATE = "approval_rate must be in (0, 1), got {value!r}"

_LIGHTGBM_PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 8,
    "min_data_in_leaf": 20,
    "min_data_per_group": 20,
    "cat_smooth": 10.0,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbose": -1,
}
_NUM_BOOST_ROUND = 150


def category_codes(values: pd.Series | np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """Position of each value in categories; -1 for nulls and unseen values."""
    index = pd.Index(list(categories), dtype=object)
    return index.get_indexer(pd.Series(values).astype(object).to_numpy())


def encode_features(
    features: pd.DataFrame,
    feature_names: Sequence[str],
    categories: dict[str, tuple[str, ...]],
) -> np.ndarray:
    """Float matrix: codes of the fixed categories (unseen/null/absent → NaN), numbers as floats."""
    matrix = np.full((len(features), len(feature_names)), np.nan)
    for j, name in enumerate(feature_names):
        if name not in features.columns:
            continue
        column = features[name]
        if name in categories:
            codes = category_codes(column, categories[name])
            matrix[:, j] = np.where(codes < 0, np.nan, codes)
        else:
            matrix[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
    return matrix


@dataclass
class CreditModel:
    """A fitted LightGBM booster scoring P(default); approves when the score is below threshold."""

    booster: lgb.Booster
    feature_names: tuple[str, ...]
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    threshold: float = 0.5

    def encode(self, features: pd.DataFrame) -> np.ndarray:
        """Float matrix of the model's inputs (see encode_features)."""
        return encode_features(features, self.feature_names, self.categories)

    def predict_default_probability(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of default (the unfavourable outcome) for each row."""
        return np.asarray(self.booster.predict(self.encode(features)), dtype=float)

    def decide(self, scores: np.ndarray | Sequence[float]) -> np.ndarray:
        """'approved' where score < threshold, else 'declined'."""
        values = np.asarray(scores, dtype=float)
        return np.where(values < self.threshold, APPROVED, DECLINED).astype(object)


def load_german_credit(path: str | Path) -> pd.DataFrame:
    """The German credit CSV (risk 1 = repaid) with its columns checked."""
    frame = pd.read_csv(path)
    for column in (*FEATURES, "risk"):
        if column not in frame.columns:
            raise ValueError(ERROR_MISSING_COLUMN.format(column=column))
    return frame


def german_as_reference(german: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The nine FEATURES and the default label 1 - risk (1 = defaulted)."""
    for column in (*FEATURES, "risk"):
        if column not in german.columns:
            raise ValueError(ERROR_MISSING_COLUMN.format(column=column))
    features = german.loc[:, list(FEATURES)].reset_index(drop=True)
    target = 1 - german["risk"].to_numpy(dtype=int)
    return features, target


def age_band(age: np.ndarray | pd.Series, edges: Sequence[int] = AGE_BAND_EDGES) -> np.ndarray:
    """Index of the age band: 0 below edges[0], k for edges[k-1] <= age < edges[k]."""
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(age, dtype=float), "right")


def reweighing_weights(groups: np.ndarray | pd.Series, target: np.ndarray) -> np.ndarray:
    """Kamiran–Calders reweighing: w(g, y) = P(g) P(y) / P(g, y)."""
    frame = pd.DataFrame({"group": np.asarray(groups), "target": np.asarray(target)})
    n_rows = len(frame)
    p_group = frame.groupby("group")["target"].transform("size") / n_rows
    p_target = frame.groupby("target")["group"].transform("size") / n_rows
    p_joint = frame.groupby(["group", "target"])["target"].transform("size") / n_rows
    return (p_group * p_target / p_joint).to_numpy(dtype=float)


def fit_credit_model(
    rows: pd.DataFrame,
    target_default: np.ndarray,
    *,
    seed: int,
    threshold: float | None = None,
    approval_rate: float = DEFAULT_APPROVAL_RATE,
    sample_weight: np.ndarray | None = None,
) -> CreditModel:
    """LightGBM (binary, 150 rounds, 8 leaves) on FEATURES; categories fixed from `rows`."""
    target = np.asarray(target_default, dtype=float)
    if len(target) != len(rows):
        raise ValueError(ERROR_TARGET_LENGTH.format(n_target=len(target), n_rows=len(rows)))
    if not 0.0 < approval_rate < 1.0:
        raise ValueError(ERROR_APPROVAL_RATE.format(value=approval_rate))
    categories = {
        name: tuple(sorted(str(v) for v in rows[name].dropna().unique()))
        for name in CATEGORICAL_FEATURES
        if name in rows.columns
    }
    dataset = lgb.Dataset(
        encode_features(rows, FEATURES, categories),
        label=target,
        weight=sample_weight,
        feature_name=list(FEATURES),
        categorical_feature=[FEATURES.index(name) for name in categories],
        params={"verbose": -1},
    )
    params = {**_LIGHTGBM_PARAMS, "seed": seed}
    booster = lgb.train(params, dataset, num_boost_round=_NUM_BOOST_ROUND)
    model = CreditModel(booster=booster, feature_names=FEATURES, categories=categories)
    if threshold is None:
        # The cost-optimal cut-off under seeds/cost_matrix.csv (a missed default costs 10, a
        # refused good customer 1) is P(default) < 1 / 11, which approves almost nobody on
        # German credit (30 % default). A lender sets its cut-off by appetite instead: approve
        # the `approval_rate` share of applicants (60–70 %) with the lowest scores, i.e. the
        # approval_rate quantile of the training scores.
        threshold = float(np.quantile(model.predict_default_probability(rows), approval_rate))
    model.threshold = float(threshold)
    return model


def fit_reference_model(
    german: pd.DataFrame,
    *,
    seed: int,
    approval_rate: float = DEFAULT_APPROVAL_RATE,
    age_band_edges: Sequence[int] = AGE_BAND_EDGES,
    reweighing_strength: float = REWEIGHING_STRENGTH,
) -> CreditModel:
    """The pre-migration model: fit_credit_model with Kamiran–Calders weights ** strength."""
    features, target = german_as_reference(german)
    groups = (
        features["sex"].astype(str).to_numpy()
        + "|"
        + age_band(features["age"], age_band_edges).astype(str)
    )
    # Reweighing makes the default label independent of sex and age band in the training
    # rows, so the deployed model passes the four-fifths rule on selection rate before the
    # migration (an unweighted fit approves under-25s far less often: ratio about 0.63).
    weights = reweighing_weights(groups, target) ** reweighing_strength
    return fit_credit_model(
        features, target, seed=seed, approval_rate=approval_rate, sample_weight=weights
    )
