"""Deterministic production traffic (predictions + delayed feedback) grown from German credit."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from models_ml.credit_model import (
    APPROVED,
    FEATURES,
    CreditModel,
    german_as_reference,
    load_german_credit,
)
from models_ml.scenarios import (
    CONCEPT_FLIPPED,
    SCENARIOS,
    SENSITIVE_FEATURES,
    LabelOracle,
    check_scenario,
    day_size,
    fit_label_oracle,
    fit_migrated_model,
    jitter_features,
    migrated_keep_probability,
    resampling_weights,
    served_view,
)

__all__ = [
    "FEATURES",
    "SCENARIOS",
    "SimulatedTraffic",
    "features_as_json",
    "iter_simulated_days",
    "load_german_credit",
    "simulate_traffic",
]

MODEL_NAME = "credit_risk"
# Labels arrive for about 60 % of predictions: 75 % of approved, 30 % of declined customers
# (selective labels: a refused applicant's outcome is only seen through other lenders).
LABEL_RATE_APPROVED = 0.75
LABEL_RATE_DECLINED = 0.30
LABEL_DELAY_DAYS = (3, 20)
RATING_RATE = 0.10
IMPLICIT_RATE = 0.20
CONVERSION_RATE_APPROVED = 0.6
# P(rating = 1..5) for approved and declined customers.
RATING_PROBABILITIES = {
    True: (0.03, 0.05, 0.15, 0.37, 0.40),
    False: (0.35, 0.30, 0.20, 0.10, 0.05),
}
RATING_COMMENTS = {
    1: "decision not explained",
    2: "took too long",
    5: "quick and clear",
}
LATENCY_MEDIAN_MS = 35.0
LATENCY_SIGMA = 0.45
_MICROSECONDS_PER_DAY = 86_400_000_000

ERROR_POSITIVE = "{name} must be a positive integer, got {value!r}"
ERROR_SHIFT_DAY = "shift_day must be within [0, days={days}], got {value!r}"


@dataclass(frozen=True)
class SimulatedTraffic:
    """Raw-contract predictions and feedback of simulated production traffic."""

    predictions: pd.DataFrame
    feedback: pd.DataFrame


@dataclass(frozen=True)
class _Setup:
    """Everything fixed across days: the German rows, the oracle and the served models."""

    german: pd.DataFrame
    oracle: LabelOracle
    model: CreditModel
    migrated_model: CreditModel | None
    scenario: str
    seed: int
    per_day: int
    start_date: datetime.date
    model_version: str
    shift_day: int | None


def features_as_json(predictions: pd.DataFrame) -> pd.Series:
    """The `features` dicts serialized as JSON text (orjson), same index."""
    texts = [orjson.dumps(item).decode() for item in predictions["features"]]
    return pd.Series(texts, index=predictions.index, name="features", dtype="str")


def simulate_traffic(
    german: pd.DataFrame,
    *,
    days: int,
    per_day: int,
    scenario: str,
    seed: int,
    start_date: datetime.date,
    model: CreditModel,
    model_version: str = "v1",
    shift_day: int | None = None,
) -> SimulatedTraffic:
    """All days of iter_simulated_days concatenated (days × per_day predictions)."""
    parts = list(
        iter_simulated_days(
            german,
            days=days,
            per_day=per_day,
            scenario=scenario,
            seed=seed,
            start_date=start_date,
            model=model,
            model_version=model_version,
            shift_day=shift_day,
        )
    )
    return SimulatedTraffic(
        predictions=pd.concat([p.predictions for p in parts], ignore_index=True),
        feedback=pd.concat([p.feedback for p in parts], ignore_index=True),
    )


def iter_simulated_days(
    german: pd.DataFrame,
    *,
    days: int,
    per_day: int,
    scenario: str,
    seed: int,
    start_date: datetime.date,
    model: CreditModel,
    model_version: str = "v1",
    shift_day: int | None = None,
) -> Iterator[SimulatedTraffic]:
    """One SimulatedTraffic per UTC day, each from its own Generator seeded by (seed, day)."""
    check_scenario(scenario)
    for name, value in (("days", days), ("per_day", per_day)):
        if not isinstance(value, int | np.integer) or value <= 0:
            raise ValueError(ERROR_POSITIVE.format(name=name, value=value))
    if scenario in ("sudden", "migration", "concept", "correlation"):
        shift_day = days // 2 if shift_day is None else shift_day
        if not 0 <= shift_day <= days:
            raise ValueError(ERROR_SHIFT_DAY.format(days=days, value=shift_day))
    else:
        shift_day = None
    german_as_reference(german)  # validates the columns
    migrated_model = None
    if scenario == "migration":
        # The incident: after the migration the model was retrained in place (same version
        # tag) on the migrated extract, which lost checking_account and kept women's and
        # seniors' files mostly when they defaulted; it leans on sex and age and fails the
        # four-fifths rule, and scores worse on the real population than on its own data.
        migrated_model = fit_migrated_model(german, seed=seed, threshold=model.threshold)
    setup = _Setup(
        german=german.reset_index(drop=True),
        oracle=fit_label_oracle(german),
        model=model,
        migrated_model=migrated_model,
        scenario=scenario,
        seed=seed,
        per_day=per_day,
        start_date=start_date,
        model_version=model_version,
        shift_day=shift_day,
    )
    return (_simulate_day(setup, day) for day in range(days))


def _simulate_day(setup: _Setup, day: int) -> SimulatedTraffic:
    """One day: resample, jitter, drift, score, decide, then draw the day's feedback."""
    rng = np.random.default_rng([setup.seed, day])
    weekend = (setup.start_date + datetime.timedelta(days=day)).weekday() >= 5
    n_rows = day_size(setup.scenario, setup.per_day, weekend)
    after_shift = setup.shift_day is not None and day >= setup.shift_day
    migrated = setup.scenario == "migration" and after_shift
    # Who applies is drawn apart from what they ask for: sex and age come from one German row
    # (under the migration's representation weights), every other feature from another, so
    # every sex x age band group has the same distribution of the other features, and of risk.
    people = setup.german.iloc[
        rng.choice(len(setup.german), size=n_rows,
                   p=resampling_weights(setup.german, migrated=migrated))]
    drawn = setup.german.iloc[rng.choice(len(setup.german), size=n_rows)].assign(
        **{name: people[name].to_numpy() for name in SENSITIVE_FEATURES})
    truth = jitter_features(
        drawn.loc[:, list(FEATURES)], rng, scenario=setup.scenario, day=day,
        after_shift=after_shift, weekend=weekend,
    )
    logged = served_view(truth, rng, migrated=migrated)
    served = setup.migrated_model if migrated and setup.migrated_model else setup.model
    scores = np.clip(served.predict_default_probability(logged), 0.0, 1.0)
    decisions = served.decide(scores)
    oracle = setup.oracle
    if setup.scenario == "concept" and after_shift:
        oracle = oracle.with_flipped(CONCEPT_FLIPPED)
    default_probability = oracle.default_probability(truth)

    day_start = pd.Timestamp(setup.start_date, tz="UTC") + pd.Timedelta(days=day)
    offsets = np.sort(rng.integers(0, _MICROSECONDS_PER_DAY, n_rows))
    scored_at = day_start + pd.to_timedelta(offsets, unit="us")
    prefix = f"{setup.seed}-{day:03d}"
    prediction_ids = [f"p-{prefix}-{i:06d}" for i in range(n_rows)]
    entities = rng.integers(0, 10_000_000, n_rows).tolist()
    predictions = pd.DataFrame(
        {
            "prediction_id": pd.Series(prediction_ids, dtype="str"),
            "model_name": pd.Series([MODEL_NAME] * n_rows, dtype="str"),
            "model_version": pd.Series([setup.model_version] * n_rows, dtype="str"),
            "scored_at": scored_at,
            "entity_id": pd.Series([f"c-{e:07d}" for e in entities], dtype="str"),
            "features": _feature_dicts(logged),
            "score": scores,
            "decision": pd.Series(decisions, dtype="str"),
            "latency_ms": np.round(
                rng.lognormal(np.log(LATENCY_MEDIAN_MS), LATENCY_SIGMA, n_rows), 3
            ),
        }
    )
    keep_label = None
    if setup.scenario == "migration" and setup.shift_day is not None:
        # From the migration day, labels come from the migrated database: it keeps women's and
        # seniors' outcomes mostly when they defaulted, as the in-place retrain's extract did.
        migration_start = pd.Timestamp(setup.start_date, tz="UTC") + pd.Timedelta(
            days=setup.shift_day
        )

        def keep_label(defaulted: np.ndarray, received_at: pd.Series) -> np.ndarray:
            after = (received_at >= migration_start).to_numpy()
            return np.where(after, migrated_keep_probability(truth, defaulted), 1.0)
    feedback = _feedback(
        rng, prefix, predictions, decisions == APPROVED, default_probability, keep_label
    )
    return SimulatedTraffic(predictions=predictions, feedback=feedback)


def _feature_dicts(logged: pd.DataFrame) -> pd.Series:
    """One dict per row (feature name → Python value, None for nulls)."""
    keys = list(logged.columns)
    columns = []
    for name in keys:
        column = logged[name]
        if pd.api.types.is_numeric_dtype(column.dtype):
            columns.append(column.to_numpy().tolist())
        else:
            values = column.to_numpy(dtype=object)
            columns.append(np.where(pd.isna(values), None, values).tolist())
    rows = [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]
    return pd.Series(rows, dtype=object)


def _feedback(
    rng: np.random.Generator,
    prefix: str,
    predictions: pd.DataFrame,
    approved: np.ndarray,
    default_probability: np.ndarray,
    keep_label: Callable[[np.ndarray, pd.Series], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Delayed partial labels (oracle Bernoulli draws), star ratings and implicit events;
    keep_label(defaulted, received_at) gives each label's chance to survive (None: all do)."""
    n_rows = len(predictions)
    # Every draw is made for every row, in a fixed order, so the stream stays reproducible.
    has_label = rng.random(n_rows) < np.where(approved, LABEL_RATE_APPROVED, LABEL_RATE_DECLINED)
    defaulted = rng.random(n_rows) < default_probability
    label_delay = rng.integers(LABEL_DELAY_DAYS[0], LABEL_DELAY_DAYS[1] + 1, n_rows) * (
        _MICROSECONDS_PER_DAY
    ) + rng.integers(0, _MICROSECONDS_PER_DAY, n_rows)
    has_rating = rng.random(n_rows) < RATING_RATE
    cumulative = np.where(
        approved[:, None],
        np.cumsum(RATING_PROBABILITIES[True]),
        np.cumsum(RATING_PROBABILITIES[False]),
    )
    ratings = 1 + (rng.random(n_rows)[:, None] > cumulative).sum(axis=1)
    ratings = np.minimum(ratings, 5)
    rating_delay = rng.integers(0, 3 * _MICROSECONDS_PER_DAY, n_rows)
    has_implicit = rng.random(n_rows) < IMPLICIT_RATE
    converted = approved & (rng.random(n_rows) < CONVERSION_RATE_APPROVED)
    implicit_delay = rng.exponential(3_600_000_000, n_rows).astype(np.int64)
    if keep_label is not None:  # drawn last, so the other draws stay those of the clean stream
        label_received_at = predictions["scored_at"] + pd.to_timedelta(label_delay, unit="us")
        has_label &= rng.random(n_rows) < keep_label(defaulted, label_received_at)

    scored_at = predictions["scored_at"]
    prediction_ids = predictions["prediction_id"].to_numpy(dtype=object)
    parts = []
    for kind, mask, delay in (
        ("label", has_label, label_delay),
        ("rating", has_rating, rating_delay),
        ("implicit", has_implicit, implicit_delay),
    ):
        index = np.flatnonzero(mask)
        n_kind = len(index)
        outcome = np.full(n_kind, None, dtype=object)
        rating = pd.array([pd.NA] * n_kind, dtype="Int64")
        event = np.full(n_kind, None, dtype=object)
        comment = np.full(n_kind, None, dtype=object)
        if kind == "label":
            outcome = np.where(defaulted[index], "defaulted", "repaid").astype(object)
        elif kind == "rating":
            rating = pd.array(ratings[index], dtype="Int64")
            comment = np.array([RATING_COMMENTS.get(int(r)) for r in ratings[index]], dtype=object)
        else:
            event = np.where(converted[index], "converted", "engaged").astype(object)
        parts.append(
            pd.DataFrame(
                {
                    "feedback_id": pd.Series(
                        [f"f{kind[0]}-{prefix}-{i:06d}" for i in index], dtype="str"
                    ),
                    "prediction_id": pd.Series(prediction_ids[index], dtype="str"),
                    "received_at": scored_at.iloc[index].reset_index(drop=True)
                    + pd.to_timedelta(delay[index], unit="us"),
                    "kind": pd.Series([kind] * n_kind, dtype="str"),
                    "outcome": pd.Series(outcome, dtype=object),
                    "rating": rating,
                    "event": pd.Series(event, dtype=object),
                    "comment": pd.Series(comment, dtype=object),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
