"""Training pipeline: leak-free training set, leakage refusal, deterministic LightGBM candidate."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models_ml.credit_model import AGE_BAND_EDGES, reweighing_weights
from models_ml.metrics import cost_optimal_threshold
from models_ml.training import (
    LEAKAGE_ERROR,
    MISSING_FEATURE_ERROR,
    LeakageError,
    TrainedModel,
    build_training_set,
    check_leakage,
    reference_sample,
    stratified_split,
    train_candidate,
)

FEATURES = ["age", "sex", "credit_amount", "duration", "housing"]
START = datetime(2024, 3, 1)
AS_OF = datetime(2024, 3, 20)


def make_frames(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions with a features dict and labels; default risk rises with duration and rent."""
    rng = np.random.default_rng(seed)
    duration = rng.integers(4, 72, n)
    housing = rng.choice(["own", "rent", "free", None], n, p=[0.6, 0.25, 0.1, 0.05])
    logit = -2.5 + 0.05 * duration + np.where(housing == "rent", 1.0, 0.0)
    default = rng.random(n) < 1 / (1 + np.exp(-logit))
    ids = [f"p{i:05d}" for i in range(n)]
    scored_at = [START + timedelta(minutes=20 * i) for i in range(n)]
    features = [{"age": int(a), "sex": str(s), "credit_amount": float(c), "duration": int(d),
                 "housing": h}
                for a, s, c, d, h in zip(rng.integers(19, 75, n), rng.choice(["female", "male"], n),
                                         rng.gamma(2.0, 1500.0, n).round(2), duration, housing,
                                         strict=True)]
    predictions = pd.DataFrame({"prediction_id": ids, "scored_at": scored_at,
                                "features": features})
    labels = pd.DataFrame({
        "prediction_id": ids,
        "received_at": [t + timedelta(days=2) for t in scored_at],
        "outcome": np.where(default, "defaulted", "repaid"),
    })
    return predictions, labels


@pytest.fixture(scope="module")
def training_set():
    predictions, labels = make_frames()
    return build_training_set(predictions, labels, as_of=AS_OF, feature_names=FEATURES,
                              favorable_outcomes={"repaid"})


@pytest.fixture(scope="module")
def model(training_set):
    return train_candidate(training_set, seed=7, cost_false_approval=10.0, cost_false_refusal=1.0)


def test_training_set_excludes_labels_after_as_of_and_keeps_latest():
    predictions, labels = make_frames(n=50)
    # p00000: a first "repaid" label corrected later (still before as_of) to "defaulted".
    # p00001: its only label arrives after as_of -> not in the training set (no leakage).
    # p00002: a correction arriving after as_of is ignored -> keeps its earlier label.
    labels.loc[0, ["outcome", "received_at"]] = ["repaid", datetime(2024, 3, 2)]
    labels.loc[1, "received_at"] = AS_OF + timedelta(seconds=1)
    labels.loc[2, ["outcome", "received_at"]] = ["repaid", datetime(2024, 3, 2)]
    extra = pd.DataFrame({"prediction_id": ["p00000", "p00002"],
                          "received_at": [datetime(2024, 3, 5), AS_OF + timedelta(days=1)],
                          "outcome": ["defaulted", "defaulted"]})
    result = build_training_set(predictions, pd.concat([labels, extra]), as_of=AS_OF,
                                feature_names=FEATURES, favorable_outcomes=["repaid"])
    ids = list(result.prediction_ids)
    assert "p00001" not in ids and len(ids) == 49 and ids == sorted(ids)
    y = dict(zip(ids, result.y_default, strict=True))
    assert y["p00000"] == 1 and y["p00002"] == 0
    assert result.window_start == START
    assert result.window_end == START + timedelta(minutes=20 * 49)
    assert result.X.dtypes["age"] == np.float64
    assert not pd.api.types.is_numeric_dtype(result.X.dtypes["housing"])
    kept = predictions[predictions["prediction_id"] != "p00001"]
    assert result.X["housing"].isna().sum() == sum(f["housing"] is None for f in kept["features"])


def test_zone_aware_as_of_is_read_in_utc(training_set):
    predictions, labels = make_frames()
    paris = timezone(timedelta(hours=1))
    # 01:00 in UTC+1 is 00:00 UTC, the same cut-off as the zone-less AS_OF.
    aware = build_training_set(predictions, labels,
                               as_of=datetime(2024, 3, 20, 1, tzinfo=paris),
                               feature_names=FEATURES, favorable_outcomes={"repaid"})
    assert aware.dataset_hash == training_set.dataset_hash
    labels_utc = labels.assign(received_at=labels["received_at"].dt.tz_localize("UTC"))
    aware_labels = build_training_set(predictions, labels_utc, as_of=AS_OF,
                                      feature_names=FEATURES, favorable_outcomes={"repaid"})
    assert aware_labels.dataset_hash == training_set.dataset_hash


def test_missing_feature_is_named():
    predictions, labels = make_frames(n=20)
    with pytest.raises(ValueError) as raised:
        build_training_set(predictions.drop(columns="features"), labels, as_of=AS_OF,
                           feature_names=["age"], favorable_outcomes={"repaid"})
    assert str(raised.value) == MISSING_FEATURE_ERROR.format(feature_name="age")


def test_dataset_hash_is_canonical(training_set):
    predictions, labels = make_frames()
    shuffled = build_training_set(predictions.sample(frac=1.0, random_state=3),
                                  labels.sample(frac=1.0, random_state=4), as_of=AS_OF,
                                  feature_names=FEATURES, favorable_outcomes={"repaid"})
    assert shuffled.dataset_hash == training_set.dataset_hash
    # The same rows with features already expanded into columns, or as JSON text, hash the same.
    expanded = pd.concat([predictions.drop(columns="features"),
                          pd.DataFrame(list(predictions["features"]))], axis=1)
    as_columns = build_training_set(expanded, labels, as_of=AS_OF, feature_names=FEATURES,
                                    favorable_outcomes={"repaid"})
    as_json = build_training_set(predictions.assign(features=predictions["features"].map(
        json.dumps)), labels, as_of=AS_OF, feature_names=FEATURES, favorable_outcomes={"repaid"})
    assert as_columns.dataset_hash == as_json.dataset_hash == training_set.dataset_hash
    changed = predictions.copy()
    changed.at[5, "features"] = {**changed.at[5, "features"], "credit_amount": 1.5}
    other = build_training_set(changed, labels, as_of=AS_OF, feature_names=FEATURES,
                               favorable_outcomes={"repaid"})
    assert other.dataset_hash != training_set.dataset_hash


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
    again = train_candidate(training_set, seed=7, cost_false_approval=10.0, cost_false_refusal=1.0)
    assert again.booster.model_to_string() == model.booster.model_to_string()
    assert again.decision_threshold == model.decision_threshold
    ids = pd.Index(model.validation_prediction_ids)
    assert len(ids) == 300 and model.n_training_rows == 900
    validation = training_set.X.loc[ids]
    y_val = pd.Series(training_set.y_default, index=training_set.X.index).loc[ids].to_numpy()
    scores = model.predict_default_probability(validation)
    np.testing.assert_allclose(model.validation_auc, roc_auc_score(y_val, scores), rtol=1e-12)
    assert model.validation_auc > 0.65  # the signal is real (duration, rent)
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
    for field in ("feature_names", "categories", "validation_auc", "decision_threshold",
                  "dataset_hash", "n_training_rows", "window_start", "window_end", "seed",
                  "validation_prediction_ids"):
        assert getattr(loaded, field) == getattr(model, field), field
    assert not list((tmp_path / "candidate").glob("*.pkl"))


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
    # moves the trees; the validation AUC is still the plain sklearn AUC on the held-out rows.
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
    np.testing.assert_allclose(weighted.validation_auc, roc_auc_score(y_val, scores), rtol=1e-12)
    with pytest.raises(ValueError, match="sample_weight has 3 values"):
        train_candidate(training_set, seed=7, cost_false_approval=10.0, cost_false_refusal=1.0,
                        sample_weight=np.ones(3))


def test_sensitive_groups_follow_the_seed_bands():
    from orchestration.assets.training import sensitive_groups
    from orchestration.seed_config import read_seed
    from orchestration.warehouse import default_project_dir

    project_dir = default_project_dir()
    X = pd.DataFrame({"sex": ["female", "male", None, "male"], "age": [24.0, 25.0, 60.0, None]})
    groups = sensitive_groups(X, str(project_dir))
    # Bands of seeds/sensitive_groups.csv: lower_bound <= age < upper_bound, so 24 is under_25
    # (band 0), 25 opens 25_39 (band 1) and 60 opens 60_and_over (band 3).
    edges = sorted(int(r["upper_bound"]) for r in read_seed(project_dir, "sensitive_groups")
                   if r["attribute"] == "age" and r["upper_bound"])
    assert tuple(edges) == AGE_BAND_EDGES  # the served model's reweighing uses the same bands
    assert groups.tolist() == ["|0|female", "|1|male", "|3|missing", "|missing|male"]
