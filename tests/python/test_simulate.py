"""Traffic simulator: determinism, contract shape, scenarios vs scipy, sklearn, fairlearn."""

from __future__ import annotations

import datetime
import json

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_ratio
from scipy.stats import ks_2samp
from simulated_traffic import (  # noqa: F401  (module fixtures)
    DAYS,
    SEEDS,
    SHIFT_DAY,
    START,
    clean,
    concept,
    day_index,
    features_of,
    german,
    labelled_rows,
    migration,
    model,
    simulate,
    thresholds,
)
from sklearn.metrics import roc_auc_score

from models_ml.credit_model import (
    FEATURES,
    age_band,
    fit_credit_model,
    fit_reference_model,
    german_as_reference,
    reweighing_weights,
)
from models_ml.scenarios import NUMERIC_RANGES, migrated_training_rows
from models_ml.simulate import (
    SCENARIOS,
    features_as_json,
    iter_simulated_days,
    simulate_traffic,
)


def _ratio(approved: np.ndarray, groups: np.ndarray, min_group_size: float) -> float:
    """fairlearn's demographic parity ratio over the groups that are not suppressed."""
    sizes = pd.Series(groups).value_counts()
    keep = np.isin(groups, sizes[sizes >= min_group_size].index)
    return demographic_parity_ratio(approved[keep], approved[keep], sensitive_features=groups[keep])


def test_same_seed_same_traffic_and_other_seed_differs(german, model, clean):
    again = simulate(german, model, "clean", per_day=500, days=14)
    pd.testing.assert_frame_equal(clean.predictions, again.predictions)
    pd.testing.assert_frame_equal(clean.feedback, again.feedback)
    other = simulate(german, model, "clean", per_day=500, days=14, seed=4)
    assert not np.array_equal(clean.predictions["score"], other.predictions["score"])


def test_model_fit_is_deterministic(german, model):
    features, _ = german_as_reference(german)
    refit = fit_reference_model(german, seed=1)
    np.testing.assert_array_equal(
        model.predict_default_probability(features), refit.predict_default_probability(features)
    )
    assert refit.threshold == model.threshold


def test_sizes_ids_and_contract_columns(clean):
    predictions, feedback = clean.predictions, clean.feedback
    assert len(predictions) == 14 * 500
    assert predictions["prediction_id"].is_unique
    assert feedback["feedback_id"].is_unique
    assert predictions["prediction_id"].iloc[0] == "p-3-000-000000"
    assert set(feedback["prediction_id"]) <= set(predictions["prediction_id"])
    assert str(predictions["scored_at"].dt.tz) == "UTC"
    assert str(feedback["received_at"].dt.tz) == "UTC"
    assert (predictions["model_name"] == "credit_risk").all()
    assert (predictions["model_version"] == "v1").all()
    assert predictions["score"].between(0.0, 1.0).all()
    assert (predictions["latency_ms"] > 0).all()
    assert np.bincount(day_index(predictions)).tolist() == [500] * 14


def test_iter_days_concatenates_to_simulate_traffic(german, model, concept):
    days = list(
        iter_simulated_days(
            german,
            days=DAYS,
            per_day=800,
            scenario="concept",
            seed=3,
            start_date=START,
            model=model,
            shift_day=SHIFT_DAY,
        )
    )
    assert [len(day.predictions) for day in days] == [800] * DAYS
    pd.testing.assert_frame_equal(
        pd.concat([day.predictions for day in days], ignore_index=True), concept.predictions
    )


def test_decisions_follow_threshold_and_approval_rate(model, clean):
    predictions = clean.predictions
    expected = np.where(predictions["score"] < model.threshold, "approved", "declined")
    np.testing.assert_array_equal(predictions["decision"].to_numpy(dtype=str), expected)
    assert 0.6 <= (predictions["decision"] == "approved").mean() <= 0.75
    np.testing.assert_array_equal(
        model.predict_default_probability(features_of(predictions.iloc[:50])),
        predictions["score"].iloc[:50],
    )


def test_default_threshold_is_approval_rate_quantile(german):
    features, target = german_as_reference(german)
    fitted = fit_credit_model(features, target, seed=2, approval_rate=0.65)
    scores = fitted.predict_default_probability(features)
    assert fitted.threshold == pytest.approx(np.quantile(scores, 0.65))


def test_unseen_categories_and_missing_columns_encode_as_nan(model):
    frame = pd.DataFrame({"sex": ["female", "robot"], "age": [30, None]})
    encoded = model.encode(frame)
    assert encoded[0, 0] == model.categories["sex"].index("female")
    assert np.isnan(encoded[1, 0]) and np.isnan(encoded[1, 1])
    assert np.isnan(encoded[:, FEATURES.index("purpose")]).all()


def test_reweighing_makes_label_independent_of_group():
    # a: targets [1, 0, 0, 0], b: [1, 1, 1, 0]; P(a) = P(b) = P(y=1) = 1/2.
    # w(a,1) = (1/2)(1/2)/(1/8) = 2, w(a,0) = (1/4)/(3/8) = 2/3, w(b,1) = 2/3, w(b,0) = 2,
    # so each group's weighted default rate is 2 / (2 + 3 * 2/3) = 1/2.
    groups = np.array(["a"] * 4 + ["b"] * 4)
    target = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    weights = reweighing_weights(groups, target)
    np.testing.assert_allclose(weights, [2, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2])
    for group in ("a", "b"):
        in_group = groups == group
        weighted_rate = weights[in_group] @ target[in_group] / weights[in_group].sum()
        assert weighted_rate == pytest.approx(0.5)


def test_labels_delayed_partial_and_selective(clean):
    feedback = clean.feedback.merge(clean.predictions, on="prediction_id")
    assert (feedback["received_at"] >= feedback["scored_at"]).all()
    labels = feedback.loc[feedback["kind"] == "label"]
    assert (labels["received_at"] - labels["scored_at"]).min() >= pd.Timedelta(days=3)
    assert set(labels["outcome"]) == {"repaid", "defaulted"}
    assert 0.5 < len(labels) / len(clean.predictions) < 0.7
    approved = clean.predictions["decision"] == "approved"
    labelled = clean.predictions["prediction_id"].isin(labels["prediction_id"])
    assert labelled[~approved].mean() < labelled[approved].mean()
    assert labelled[~approved].sum() > 100
    ratings = feedback.loc[feedback["kind"] == "rating", "rating"]
    assert ratings.between(1, 5).all() and 0.07 < len(ratings) / len(approved) < 0.13
    implicit = feedback.loc[feedback["kind"] == "implicit"]
    assert set(implicit["event"]) == {"converted", "engaged"}
    assert feedback.loc[feedback["kind"] != "label", "outcome"].isna().all()


def test_features_within_schema_ranges_and_json(clean):
    schema = pd.read_csv(SEEDS / "feature_schema.csv").set_index("feature_name")
    features = features_of(clean.predictions)
    assert list(features.columns) == list(FEATURES)
    for name, (low, high) in NUMERIC_RANGES.items():
        assert (schema.loc[name, "min_value"], schema.loc[name, "max_value"]) == (low, high)
        assert features[name].between(low, high).all()
    texts = features_as_json(clean.predictions.iloc[:100])
    assert [json.loads(text) for text in texts] == list(clean.predictions["features"].iloc[:100])


def test_clean_has_no_drift_between_first_and_last_week(clean):
    features, day = features_of(clean.predictions), day_index(clean.predictions)
    for name in ("age", "credit_amount"):
        result = ks_2samp(features.loc[day < 7, name], features.loc[day >= 7, name])
        assert result.pvalue > 0.01, name


@pytest.mark.parametrize("scenario", ["gradual", "sudden"])
def test_amount_drifts_in_gradual_and_sudden(german, model, scenario):
    # gradual: +1.5 % a day is 1.015 ** 27 = 1.49 between the first and the last three days.
    traffic = simulate(german, model, scenario, per_day=200, days=30)
    features, day = features_of(traffic.predictions), day_index(traffic.predictions)
    early, late = features.loc[day < 3, "credit_amount"], features.loc[day >= 27, "credit_amount"]
    assert ks_2samp(early, late).pvalue < 0.01
    assert late.mean() > early.mean()


def test_migration_under_represents_women_and_seniors(migration):
    features, day = features_of(migration.predictions), day_index(migration.predictions)
    female = features["sex"] == "female"
    senior = features["age"] >= 60
    first, second, after = day < 2, (day >= 2) & (day < SHIFT_DAY), day >= SHIFT_DAY
    assert abs(female[first].mean() - female[second].mean()) < 0.05
    assert female[after].mean() < 0.6 * female[second].mean()
    assert senior[after].mean() < 0.5 * senior[day < SHIFT_DAY].mean()


def test_migration_renames_adds_and_nulls_keys(migration):
    keys = migration.predictions["features"].map(lambda item: frozenset(item))
    after = day_index(migration.predictions) >= SHIFT_DAY
    old = frozenset(FEATURES)
    assert (keys[~after] == old).all()
    assert (keys[after] == (old - {"checking_account"}) | {"checking_status", "channel"}).all()
    savings_null = migration.predictions["features"].map(
        lambda item: item["saving_accounts"] is None
    )
    assert not savings_null[~after].any()
    assert 0.2 < savings_null[after].mean() < 0.4


def test_migration_fails_four_fifths_only_after_shift(migration, thresholds):
    approved = (migration.predictions["decision"] == "approved").to_numpy(dtype=int)
    features, day = features_of(migration.predictions), day_index(migration.predictions)
    minimum, bound = thresholds["min_group_size"], thresholds["four_fifths_ratio"]
    attributes = {
        "sex": features["sex"].to_numpy(dtype=str),
        "age_band": age_band(features["age"]).astype(str),
    }
    for name, groups in attributes.items():
        before, after = day < SHIFT_DAY, day >= SHIFT_DAY
        assert _ratio(approved[before], groups[before], minimum) >= bound, name
        assert _ratio(approved[after], groups[after], minimum) < bound, name
        for each_day in range(SHIFT_DAY, DAYS):
            on_day = day == each_day
            assert _ratio(approved[on_day], groups[on_day], minimum) < bound, (name, each_day)


def test_migration_production_auc_below_validation_auc(german, model):
    # The in-place retrain lost checking_account (renamed, all null in its extract): on real
    # traffic it ranks worse than v1 did. The drop is about 0.04 (0.678 -> 0.643 here, on
    # ~7,000 labels a side); the shared 1,000-a-day stream's AUCs are too noisy to show it.
    joined = labelled_rows(simulate(german, model, "migration", per_day=3000))
    before, after = joined["day"] < SHIFT_DAY, joined["day"] >= SHIFT_DAY
    auc_before = roc_auc_score(joined.loc[before, "defaulted"], joined.loc[before, "score"])
    auc_after = roc_auc_score(joined.loc[after, "defaulted"], joined.loc[after, "score"])
    assert auc_after < auc_before - 0.03
    # The retrained model looks better on a held-out part of its own (migrated) extract.
    rows, target = migrated_training_rows(german, seed=3)
    holdout = np.random.default_rng(0).random(len(rows)) < 0.3
    refit = fit_credit_model(rows[~holdout], target[~holdout], seed=3, threshold=0.5)
    validation_auc = roc_auc_score(
        target[holdout], refit.predict_default_probability(rows[holdout])
    )
    assert auc_after < validation_auc - 0.03


def test_concept_drops_auc_but_not_inputs(concept):
    joined = labelled_rows(concept)
    before, after = joined["day"] < SHIFT_DAY, joined["day"] >= SHIFT_DAY
    auc_before = roc_auc_score(joined.loc[before, "defaulted"], joined.loc[before, "score"])
    auc_after = roc_auc_score(joined.loc[after, "defaulted"], joined.loc[after, "score"])
    assert auc_after < auc_before - 0.04
    features, day = features_of(concept.predictions), day_index(concept.predictions)
    for name in ("age", "credit_amount", "duration"):
        pvalue = ks_2samp(features.loc[day < SHIFT_DAY, name], features.loc[day >= SHIFT_DAY, name])
        assert pvalue.pvalue > 0.01, name


def test_invalid_arguments_raise(german, model):
    with pytest.raises(ValueError, match="scenario must be one of"):
        simulate_traffic(
            german, days=2, per_day=5, scenario="storm", seed=1, start_date=START, model=model
        )
    with pytest.raises(ValueError, match="per_day must be a positive integer"):
        simulate_traffic(
            german, days=2, per_day=0, scenario="clean", seed=1, start_date=START, model=model
        )
    with pytest.raises(ValueError, match="shift_day must be within"):
        simulate_traffic(
            german,
            days=2,
            per_day=5,
            scenario="sudden",
            seed=1,
            start_date=START,
            model=model,
            shift_day=9,
        )
    assert SCENARIOS == ("clean", "gradual", "sudden", "migration", "concept", "correlation",
                         "weekly")




def test_weekly_has_fewer_larger_loans_at_weekends_and_nothing_else(german, model):
    """`weekly`: Saturday and Sunday carry 60 % of per_day, for loans 1.6 times larger and 12
    months longer (before the clip); weekdays are `clean`'s, draw for draw."""
    start = datetime.date(2026, 1, 5)  # a Monday
    weekly = simulate_traffic(german, days=7, per_day=400, scenario="weekly", seed=2,
                              start_date=start, model=model).predictions
    clean = simulate_traffic(german, days=7, per_day=400, scenario="clean", seed=2,
                             start_date=start, model=model).predictions
    day = weekly["scored_at"].dt.dayofweek
    assert weekly.groupby(day).size().tolist() == [400] * 5 + [240] * 2
    weekdays = weekly[day < 5].reset_index(drop=True)
    pd.testing.assert_frame_equal(weekdays, clean[clean["scored_at"].dt.dayofweek < 5]
                                  .reset_index(drop=True))
    amount = weekly["features"].map(lambda f: f["credit_amount"])
    assert amount[day >= 5].median() > 1.4 * amount[day < 5].median()
