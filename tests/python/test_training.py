"""Training pipeline: training set from the labelled examples, leakage refusal, deterministic
LightGBM candidate. Which labels count (the latest, known at the cut-off) and how sensitive
attributes are banded is dbt's (tests/python/test_training_examples.py checks it)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models_ml.credit_model import reweighing_weights
from models_ml.metrics import cost_optimal_threshold
from models_ml.training import (
    ERR_VALIDATION_IDS,
    LEAKAGE_ERROR,
    MISSING_FEATURE_ERROR,
    NO_EXAMPLES_ERROR,
    LeakageError,
    TrainedModel,
    check_leakage,
    reference_sample,
    split_by_ids,
    stratified_split,
    train_candidate,
    training_set_from_examples,
)

FEATURES = ["age", "sex", "credit_amount", "duration", "housing"]
START = datetime(2024, 3, 1)


def make_examples(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Labelled examples as int_training_examples holds them (one column per feature, text for
    categories, doubles for numbers); default risk rises with duration and rent."""
    rng = np.random.default_rng(seed)
    duration = rng.integers(4, 72, n).astype(float)
    housing = rng.choice(["own", "rent", "free", None], n, p=[0.6, 0.25, 0.1, 0.05])
    logit = -2.5 + 0.05 * duration + np.where(housing == "rent", 1.0, 0.0)
    default = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame({
        "prediction_id": [f"p{i:05d}" for i in range(n)],
        "scored_at": [START + timedelta(minutes=20 * i) for i in range(n)],
        "is_favorable_outcome": ~default,
        "age": rng.integers(19, 75, n).astype(float),
        "sex": rng.choice(["female", "male"], n).astype(object),
        "credit_amount": rng.gamma(2.0, 1500.0, n).round(2),
        "duration": duration,
        "housing": housing.astype(object),
        "age__group": "25_39",  # columns the training set does not use are ignored
    })


@pytest.fixture(scope="module")
def training_set():
    return training_set_from_examples(make_examples(), feature_names=FEATURES)


@pytest.fixture(scope="module")
def model(training_set):
    return train_candidate(training_set, seed=7, cost_false_approval=10.0, cost_false_refusal=1.0)


def test_training_set_is_sorted_typed_and_labelled():
    examples = make_examples(n=50)
    result = training_set_from_examples(examples.sample(frac=1.0, random_state=3),
                                        feature_names=FEATURES)
    ids = list(result.prediction_ids)
    assert ids == sorted(ids) == list(result.X.index) and len(ids) == 50
    assert list(result.X.columns) == FEATURES
    # y_default = 1 exactly where the outcome is not the favourable one.
    expected = (~examples.set_index("prediction_id")["is_favorable_outcome"]).astype(int)
    np.testing.assert_array_equal(result.y_default, expected.loc[ids].to_numpy())
    assert result.window_start == START
    assert result.window_end == START + timedelta(minutes=20 * 49)
    assert result.X.dtypes["age"] == np.float64
    assert not pd.api.types.is_numeric_dtype(result.X.dtypes["housing"])
    assert result.X["housing"].isna().sum() == examples["housing"].isna().sum()


def test_missing_feature_and_no_examples_are_named():
    examples = make_examples(n=20)
    with pytest.raises(ValueError) as raised:
        training_set_from_examples(examples.drop(columns="age"), feature_names=["age"])
    assert str(raised.value) == MISSING_FEATURE_ERROR.format(feature_name="age")
    with pytest.raises(ValueError, match=NO_EXAMPLES_ERROR):
        training_set_from_examples(examples.iloc[:0], feature_names=["age"])


def test_dataset_hash_is_canonical(training_set):
    examples = make_examples()
    shuffled = training_set_from_examples(examples.sample(frac=1.0, random_state=3),
                                          feature_names=FEATURES)
    assert shuffled.dataset_hash == training_set.dataset_hash
    changed = examples.copy()
    changed.at[5, "credit_amount"] = 1.5
    other = training_set_from_examples(changed, feature_names=FEATURES)
    assert other.dataset_hash != training_set.dataset_hash
    relabelled = examples.copy()
    relabelled.at[5, "is_favorable_outcome"] = not relabelled.at[5, "is_favorable_outcome"]
    assert training_set_from_examples(relabelled, feature_names=FEATURES).dataset_hash != (
        training_set.dataset_hash)


def test_odd_feature_names_train_and_score():
    """Feature names are user data: quotes, commas, colons, brackets and unicode (LightGBM
    refuses JSON characters in its own feature names)."""
    names = {"age": 'it\'s "age"', "duration": "dur:[a,b]", "housing": "logement à {x}"}
    examples = make_examples(n=400).rename(columns=names)
    odd = training_set_from_examples(examples, feature_names=list(names.values()))
    model = train_candidate(odd, seed=7, cost_false_approval=10.0, cost_false_refusal=1.0)
    assert model.feature_names == list(names.values())
    assert list(model.categories) == ["logement à {x}"]
    scores = model.predict_default_probability(odd.X)
    plain = training_set_from_examples(make_examples(n=400), feature_names=list(names))
    reference = train_candidate(plain, seed=7, cost_false_approval=10.0, cost_false_refusal=1.0)
    np.testing.assert_array_equal(scores, reference.predict_default_probability(plain.X))


def test_stratified_split_keeps_class_shares():
    y = np.array([1] * 40 + [0] * 160)
    train, val = stratified_split(y, validation_fraction=0.25, seed=1)
    assert len(val) == 50 and y[val].sum() == 10
    assert np.intersect1d(train, val).size == 0 and len(train) + len(val) == 200
    np.testing.assert_array_equal(val, stratified_split(y, validation_fraction=0.25, seed=1)[1])


def test_check_leakage_flags_numeric_and_categorical_proxies(training_set):
    X, y = training_set.X.copy(), training_set.y_default
    rng = np.random.default_rng(0)
    X["days_past_due"] = y * 30.0 + rng.normal(0, 1, len(y))  # recorded after the default
    X["collection_status"] = np.where(y == 1, "in_collection", "none")
    leaky = {f.feature_name: f.auc for f in check_leakage(X, y, max_auc=0.95)}
    assert set(leaky) == {"days_past_due", "collection_status"}
    np.testing.assert_allclose(leaky["days_past_due"], roc_auc_score(y, X["days_past_due"]),
                               rtol=1e-12)
    assert leaky["collection_status"] == 1.0
    # An inverted proxy (AUC near 0) is just as leaky: max(auc, 1 - auc).
    assert check_leakage(X[["days_past_due"]] * -1, y, max_auc=0.95)[0].auc > 0.95


def test_train_candidate_refuses_leakage(training_set):
    X = training_set.X.assign(days_past_due=training_set.y_default * 30.0)
    leaky_set = type(training_set)(X=X, y_default=training_set.y_default,
                                   prediction_ids=training_set.prediction_ids,
                                   window_start=training_set.window_start,
                                   window_end=training_set.window_end,
                                   dataset_hash=training_set.dataset_hash)
    expected = LEAKAGE_ERROR.format(feature_name="days_past_due", auc=1.0, max_auc=0.95)
    with pytest.raises(LeakageError) as raised:
        train_candidate(leaky_set, seed=1, cost_false_approval=10.0, cost_false_refusal=1.0)
    assert str(raised.value) == expected


def test_train_candidate_is_deterministic_and_reports_validation(training_set, model):
    """Same rows and seed: the same trees and the same held-out rows (the split is seeded)."""
    again = train_candidate(training_set, seed=7, cost_false_approval=10.0, cost_false_refusal=1.0)
    assert again.booster.model_to_string() == model.booster.model_to_string()
    assert again.decision_threshold == model.decision_threshold
    assert again.validation_prediction_ids == model.validation_prediction_ids
    other_seed = train_candidate(training_set, seed=8, cost_false_approval=10.0,
                                 cost_false_refusal=1.0)
    assert other_seed.validation_prediction_ids != model.validation_prediction_ids
    ids = pd.Index(model.validation_prediction_ids)
    assert len(ids) == 300 and model.n_training_rows == 900
    validation = training_set.X.loc[ids]
    y_val = pd.Series(training_set.y_default, index=training_set.X.index).loc[ids].to_numpy()
    scores = model.predict_default_probability(validation)
    assert roc_auc_score(y_val, scores) > 0.65  # the signal is real (duration, rent)
    assert model.decision_threshold == cost_optimal_threshold(y_val, scores, 10.0, 1.0)
    assert model.categories == {"housing": ["free", "own", "rent"], "sex": ["female", "male"]}
    assert model.dataset_hash == training_set.dataset_hash
    assert (model.window_start, model.window_end) == (training_set.window_start,
                                                      training_set.window_end)


def test_scoring_uses_training_categories(model, training_set):
    rows = training_set.X.iloc[:3].copy()
    base = model.predict_default_probability(rows)
    # Reordering a frame's categories or a row order must not change a row's score.
    as_category = rows.assign(housing=pd.Categorical(rows["housing"],
                                                     categories=["rent", "own", "free"]))
    np.testing.assert_array_equal(model.predict_default_probability(as_category), base)
    np.testing.assert_array_equal(model.predict_default_probability(rows.iloc[::-1]), base[::-1])
    # An unknown category scores as a missing value.
    same_row = pd.concat([rows.iloc[[0]]] * 2).assign(housing=["castle", None])
    unseen, missing = model.predict_default_probability(same_row)
    assert unseen == missing
    decisions = model.decide(np.array([model.decision_threshold, model.decision_threshold / 2]))
    assert decisions.tolist() == ["declined", "approved"]


def test_save_and_load_round_trip(model, training_set, tmp_path):
    model.save(tmp_path / "candidate")
    loaded = TrainedModel.load(tmp_path / "candidate")
    np.testing.assert_array_equal(loaded.predict_default_probability(training_set.X),
                                  model.predict_default_probability(training_set.X))
    for field in ("feature_names", "categories", "decision_threshold",
                  "dataset_hash", "n_training_rows", "window_start", "window_end", "seed",
                  "validation_prediction_ids"):
        assert getattr(loaded, field) == getattr(model, field), field
    assert not list((tmp_path / "candidate").glob("*.pkl"))
    # An artifact written when the sidecar still held a Python validation AUC loads too.
    sidecar = tmp_path / "candidate" / "model.json"
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "validation_auc": 0.7}))
    assert TrainedModel.load(tmp_path / "candidate").dataset_hash == model.dataset_hash


def test_reference_sample_long_format(training_set):
    sample = reference_sample(training_set.X, max_rows=40, seed=5)
    assert list(sample.columns) == ["row_id", "feature_name", "value"]
    assert len(sample) == 40 * len(FEATURES) and sample["row_id"].nunique() == 40
    pd.testing.assert_frame_equal(sample, reference_sample(training_set.X, max_rows=40, seed=5))
    first = sample["row_id"].iloc[0]
    row = training_set.X.loc[first]
    values = dict(zip(sample[sample["row_id"] == first]["feature_name"],
                      sample[sample["row_id"] == first]["value"], strict=True))
    assert values["age"] == str(int(row["age"]))  # integral numbers without ".0"
    assert float(values["credit_amount"]) == row["credit_amount"]
    assert len(reference_sample(training_set.X, max_rows=10_000, seed=5)) == len(
        training_set.X) * len(FEATURES)


def test_sample_weight_changes_the_fit_but_not_the_validation(training_set, model):
    ones = np.ones(len(training_set.y_default))
    unweighted = train_candidate(training_set, seed=7, cost_false_approval=10.0,
                                 cost_false_refusal=1.0, sample_weight=ones)
    # Weights of 1 are the unweighted fit: the same trees, threshold and validation rows.
    assert unweighted.booster.model_to_string() == model.booster.model_to_string()
    # Reweighing by sex (credit_model.reweighing_weights) plus a heavy up-weighting of renters
    # moves the trees, not the held-out rows nor their unweighted cost-optimal threshold.
    groups = training_set.X["sex"].astype(str).to_numpy()
    weights = reweighing_weights(groups, training_set.y_default) * np.where(
        training_set.X["housing"].astype(str).to_numpy() == "rent", 5.0, 1.0)
    weighted = train_candidate(training_set, seed=7, cost_false_approval=10.0,
                               cost_false_refusal=1.0, sample_weight=weights)
    assert weighted.booster.model_to_string() != model.booster.model_to_string()
    assert weighted.validation_prediction_ids == model.validation_prediction_ids
    ids = pd.Index(weighted.validation_prediction_ids)
    y_val = pd.Series(training_set.y_default, index=training_set.X.index).loc[ids].to_numpy()
    scores = weighted.predict_default_probability(training_set.X.loc[ids])
    assert weighted.decision_threshold == cost_optimal_threshold(y_val, scores, 10.0, 1.0)
    with pytest.raises(ValueError, match="sample_weight has 3 values"):
        train_candidate(training_set, seed=7, cost_false_approval=10.0, cost_false_refusal=1.0,
                        sample_weight=np.ones(3))


def test_sensitive_groups_join_the_bands_dbt_drew():
    """Reweighing groups are the int_training_examples bands joined (no Python banding)."""
    from orchestration.assets.training_data import sensitive_groups

    examples = pd.DataFrame({"sex__group": ["female", "male", "unknown", "male"],
                             "age__group": ["under_25", "25_39", "60_and_over", "unknown"]})
    groups = sensitive_groups(examples, ["sex", "age"])
    assert groups.tolist() == ["|female|under_25", "|male|25_39", "|unknown|60_and_over",
                               "|male|unknown"]
    weights = reweighing_weights(groups, np.array([0, 1, 0, 1]))
    # one row per group: P(g) = P(g, y) = 1/4 and P(y) = 1/2, so w = P(g) P(y) / P(g, y) = 1/2
    np.testing.assert_allclose(weights, np.full(4, 0.5))


def test_given_validation_ids_hold_out_exactly_those_rows(training_set, model):
    # A mitigated candidate is held out on the blocked candidate's rows: same ids, whatever the
    # seed, and ids the training set no longer holds drop out.
    ids = model.validation_prediction_ids
    other = train_candidate(training_set, seed=8, cost_false_approval=10.0,
                            cost_false_refusal=1.0, validation_ids=[*ids, "not-a-row"])
    assert other.validation_prediction_ids == ids
    assert other.n_training_rows == len(training_set.X) - len(ids)
    train, validation = split_by_ids(pd.Index(["a", "b", "c", "d"]), ["d", "b"])
    assert train.tolist() == [0, 2] and validation.tolist() == [1, 3]
    for none_or_all in (["x"], ["a", "b", "c", "d"]):
        with pytest.raises(ValueError) as raised:
            split_by_ids(pd.Index(["a", "b", "c", "d"]), none_or_all)
        n_found = 0 if none_or_all == ["x"] else 4
        assert str(raised.value) == ERR_VALIDATION_IDS.format(n_found=n_found, n_rows=4)
