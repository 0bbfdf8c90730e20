"""Scenario mechanics of the traffic simulator: the label oracle, drifts and the migration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from models_ml.credit_model import (
    CATEGORICAL_FEATURES,
    CreditModel,
    category_codes,
    fit_credit_model,
    german_as_reference,
)

SCENARIOS: tuple[str, ...] = ("clean", "gradual", "sudden", "migration", "concept",
                               "correlation", "weekly")
# Valid ranges of the numeric features, as in seeds/feature_schema.csv (min_value, max_value).
NUMERIC_RANGES: dict[str, tuple[float, float]] = {
    "age": (18, 100),
    "job": (0, 3),
    "credit_amount": (0, 100_000),
    "duration": (1, 120),
}
GRADUAL_DAILY_INFLATION = 0.015
SUDDEN_AMOUNT_FACTOR = 1.8
SUDDEN_DURATION_MONTHS = 12
# Migration: traffic keeps 35 % of women and 20 % of customers aged 60+, ages move younger,
# saving_accounts loses 30 % of its values, checking_account is renamed, `channel` appears.
MIGRATION_FEMALE_KEEP = 0.35
MIGRATION_SENIOR_KEEP = 0.20
MIGRATION_SENIOR_AGE = 60
MIGRATION_MAX_YOUNGER_YEARS = 6
# The `weekly` scenario: nothing drifts, but traffic has a weekly rhythm, as real traffic has:
# on Saturdays and Sundays fewer people apply, for larger and longer loans (so fewer are
# approved), every weekend alike.
WEEKEND_TRAFFIC_SHARE = 0.6
WEEKEND_AMOUNT_FACTOR = 1.6
WEEKEND_LONGER_MONTHS = 12
MIGRATION_SAVINGS_NULL_RATE = 0.30
MIGRATION_RENAMED = ("checking_account", "checking_status")
MIGRATION_CHANNELS = ("web", "branch", "app")
MIGRATION_CHANNEL_WEIGHTS = (0.5, 0.2, 0.3)
# The migrated database kept women's and seniors' files mostly when they defaulted (repaid loans
# of those customers had been archived in the legacy system and were not moved): the in-place
# retrain's extract, and from the migration day the labels Vigie receives.
MIGRATION_KEEP_IF_DEFAULTED = {"female": 0.90, "senior": 0.90}
MIGRATION_KEEP_IF_REPAID = {"female": 0.15, "senior": 0.10}
# Concept drift: the sign of these oracle effects flips (long, large loans become the safe ones).
CONCEPT_FLIPPED = ("duration", "credit_amount")

ERROR_UNKNOWN_SCENARIO = "scenario must be one of {allowed}, got {value!r}"

_ORACLE_NUMERIC = ("age", "job", "credit_amount", "duration")
# The simulated world's default does not depend on sex or age: the oracle is fitted with them
# (so the other features do not absorb their effect) and their effects are then set to zero.
# The simulator draws a customer's sex and age apart from the other features (simulate.py), so
# every sex × age band group has the population's distribution of the other features, hence
# of risk: equal default rates and equal error rates for any model that does not read sex or
# age. A model fitted on this world's labels is fair; an unfair one learned it from biased
# data (the migration's labels).
SENSITIVE_FEATURES: tuple[str, ...] = ("sex", "age")
_ORACLE_L2 = 1e-2


@dataclass(frozen=True)
class LabelOracle:
    """Ground truth: P(default) = sigmoid(b + w · x), w fitted on real data with the sex and
    age effects set to zero."""

    categories: dict[str, tuple[str, ...]]
    numeric_mean: dict[str, float]
    numeric_std: dict[str, float]
    coef: dict[str, np.ndarray]
    intercept: float

    def default_probability(self, features: pd.DataFrame) -> np.ndarray:
        """sigmoid(intercept + one-hot and standardized numeric effects)."""
        logit = np.full(len(features), self.intercept)
        for name in _ORACLE_NUMERIC:
            values = _oracle_numeric(features[name].to_numpy(dtype=float), name)
            logit += (
                self.coef[name][0] * (values - self.numeric_mean[name]) / self.numeric_std[name]
            )
        for name, cats in self.categories.items():
            codes = category_codes(features[name], cats)
            effects = np.append(self.coef[name], 0.0)  # code -1 (null/unseen) → no effect
            logit += effects[codes]
        return 1.0 / (1.0 + np.exp(-logit))

    def with_flipped(self, names: Sequence[str]) -> LabelOracle:
        """The same oracle with the effects of `names` negated."""
        coef = {name: (-w if name in names else w) for name, w in self.coef.items()}
        return replace(self, coef=coef)


def _oracle_numeric(values: np.ndarray, name: str) -> np.ndarray:
    """Oracle's numeric transform: log for credit_amount, identity otherwise."""
    return np.log1p(values) if name == "credit_amount" else values


def fit_label_oracle(german: pd.DataFrame) -> LabelOracle:
    """L2-penalised (1e-2) logistic regression of default on the German credit rows, made blind
    to sex and age (their effects set to zero after the fit)."""
    features, target = german_as_reference(german)
    categories = {
        name: tuple(sorted(str(v) for v in features[name].dropna().unique()))
        for name in CATEGORICAL_FEATURES
    }
    blocks, sizes = [], []
    means, stds = {}, {}
    for name in _ORACLE_NUMERIC:
        values = _oracle_numeric(features[name].to_numpy(dtype=float), name)
        means[name], stds[name] = float(values.mean()), float(values.std())
        blocks.append(((values - means[name]) / stds[name])[:, None])
        sizes.append((name, 1))
    for name, cats in categories.items():
        codes = category_codes(features[name], cats)
        blocks.append(np.eye(len(cats))[codes])
        sizes.append((name, len(cats)))
    design = np.hstack(blocks)
    y = target.astype(float)

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] + design @ params[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * _ORACLE_L2 * params[1:] @ params[1:]
        grad = np.concatenate([[np.mean(p - y)], design.T @ (p - y) / len(y)])
        grad[1:] += _ORACLE_L2 * params[1:]
        return float(value), grad

    result = minimize(loss, np.zeros(design.shape[1] + 1), jac=True, method="L-BFGS-B")
    coef, start = {}, 1
    for name, size in sizes:
        coef[name] = result.x[start : start + size].copy()
        if name in SENSITIVE_FEATURES:
            coef[name][:] = 0.0
        start += size
    return LabelOracle(categories, means, stds, coef, float(result.x[0]))


def day_size(scenario: str, per_day: int, weekend: bool) -> int:
    """The day's number of predictions: per_day, and a share of it on weekends in `weekly`."""
    if scenario == "weekly" and weekend:
        return max(1, round(per_day * WEEKEND_TRAFFIC_SHARE))
    return per_day


def check_scenario(scenario: str) -> None:
    """Raise ValueError unless scenario is one of SCENARIOS."""
    if scenario not in SCENARIOS:
        raise ValueError(ERROR_UNKNOWN_SCENARIO.format(allowed=SCENARIOS, value=scenario))


def resampling_weights(german: pd.DataFrame, *, migrated: bool) -> np.ndarray:
    """Probability of drawing each German row: uniform, or the migration's under-representation."""
    weights = np.ones(len(german))
    if migrated:
        weights[german["sex"].to_numpy(dtype=str) == "female"] *= MIGRATION_FEMALE_KEEP
        weights[german["age"].to_numpy(dtype=float) >= MIGRATION_SENIOR_AGE] *= (
            MIGRATION_SENIOR_KEEP
        )
    return weights / weights.sum()


def jitter_features(
    rows: pd.DataFrame,
    rng: np.random.Generator,
    *,
    scenario: str,
    day: int,
    after_shift: bool,
    weekend: bool = False,
) -> pd.DataFrame:
    """True customer features: resampled rows with jitter and the scenario's input drift (and,
    in the `weekly` scenario, the weekend's larger and longer loans)."""
    n_rows = len(rows)
    frame = rows.reset_index(drop=True).copy()
    amount = frame["credit_amount"].to_numpy(dtype=float) * rng.lognormal(0.0, 0.1, n_rows)
    duration = frame["duration"].to_numpy(dtype=np.int64) + rng.integers(-2, 3, n_rows)
    age = frame["age"].to_numpy(dtype=np.int64) + rng.integers(-2, 3, n_rows)
    if scenario == "gradual":
        amount *= (1.0 + GRADUAL_DAILY_INFLATION) ** day
    if scenario == "sudden" and after_shift:
        amount *= SUDDEN_AMOUNT_FACTOR
        duration += SUDDEN_DURATION_MONTHS
    if scenario == "migration" and after_shift:
        age -= rng.integers(0, MIGRATION_MAX_YOUNGER_YEARS + 1, n_rows)
    if scenario == "weekly" and weekend:
        amount *= WEEKEND_AMOUNT_FACTOR
        duration += WEEKEND_LONGER_MONTHS
    frame["credit_amount"] = np.round(np.clip(amount, *NUMERIC_RANGES["credit_amount"]), 2)
    frame["duration"] = np.clip(duration, *NUMERIC_RANGES["duration"]).astype(np.int64)
    frame["age"] = np.clip(age, *NUMERIC_RANGES["age"]).astype(np.int64)
    frame["job"] = np.clip(frame["job"].to_numpy(dtype=np.int64), *NUMERIC_RANGES["job"])
    if scenario == "correlation" and after_shift:
        frame["credit_amount"] = against(frame["credit_amount"].to_numpy(),
                                         frame["duration"].to_numpy())
    return frame


def against(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """`values` rearranged so that the row with the longest `order` gets the smallest value:
    the same values (each feature's distribution is unchanged), their correlation with `order`
    reversed. In the German data the longer loans are the larger ones; after the `correlation`
    scenario's shift the longest get the smallest amounts, which only the joint distribution
    shows."""
    rearranged = np.empty_like(values)
    rearranged[np.argsort(order, kind="stable")] = np.sort(values)[::-1]
    return rearranged


def migrated_keep_probability(features: pd.DataFrame, defaulted: np.ndarray) -> np.ndarray:
    """Chance that the migrated database kept a customer's file: MIGRATION_KEEP_IF_DEFAULTED or
    _IF_REPAID for women and for customers aged 60+ (multiplied for older women), 1 otherwise."""
    female = features["sex"].to_numpy(dtype=str) == "female"
    senior = features["age"].to_numpy(dtype=float) >= MIGRATION_SENIOR_AGE
    keep_probability = np.ones(len(features))
    for group, in_group in (("female", female), ("senior", senior)):
        keep = np.where(
            defaulted, MIGRATION_KEEP_IF_DEFAULTED[group], MIGRATION_KEEP_IF_REPAID[group]
        )
        keep_probability = np.where(in_group, keep_probability * keep, keep_probability)
    return keep_probability


def migrated_training_rows(german: pd.DataFrame, *, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The training extract after the migration: biased selection, renamed and nulled columns."""
    features, target = german_as_reference(german)
    rng = np.random.default_rng([seed, 7_919])
    kept = rng.random(len(features)) < migrated_keep_probability(features, target == 1)
    rows = features.loc[kept].reset_index(drop=True)
    # The extract still asks for checking_account, now called checking_status: all nulls.
    rows["checking_account"] = pd.Series([None] * len(rows), dtype=object)
    savings = rows["saving_accounts"].astype(object)
    savings[rng.random(len(rows)) < MIGRATION_SAVINGS_NULL_RATE] = None
    rows["saving_accounts"] = savings
    return rows, target[kept]


def fit_migrated_model(german: pd.DataFrame, *, seed: int, threshold: float) -> CreditModel:
    """The model retrained in place on the migrated extract, without reweighing, same cut-off."""
    rows, target = migrated_training_rows(german, seed=seed)
    return fit_credit_model(rows, target, seed=seed, threshold=threshold)


def served_view(truth: pd.DataFrame, rng: np.random.Generator, *, migrated: bool) -> pd.DataFrame:
    """What the serving system logs: the truth, or after the migration nulls/rename/new key."""
    frame = truth.copy()
    if not migrated:
        return frame
    savings = np.array(frame["saving_accounts"].astype(object), dtype=object)
    savings[rng.random(len(frame)) < MIGRATION_SAVINGS_NULL_RATE] = None
    frame["saving_accounts"] = savings
    frame = frame.rename(columns={MIGRATION_RENAMED[0]: MIGRATION_RENAMED[1]})
    frame["channel"] = rng.choice(
        np.asarray(MIGRATION_CHANNELS, dtype=object), len(frame), p=MIGRATION_CHANNEL_WEIGHTS
    )
    return frame
