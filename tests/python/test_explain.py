"""TreeSHAP importance: additivity against the raw margin, and a one-feature model's share."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from models_ml.explain import importance_share, mean_abs_contributions, shap_contributions
from models_ml.training import train_candidate, training_set_from_examples


def _training_set(n: int = 1000, seed: int = 0):
    """Only `duration` drives the default; age, sex and amount are noise."""
    rng = np.random.default_rng(seed)
    duration = rng.integers(4, 72, n)
    default = rng.random(n) < 1 / (1 + np.exp(-(-4.0 + 0.1 * duration)))
    start = datetime(2024, 1, 1)
    predictions = pd.DataFrame({
        "prediction_id": [f"p{i:05d}" for i in range(n)],
        "scored_at": [start + timedelta(minutes=i) for i in range(n)],
        "duration": duration,
        "age": rng.integers(19, 75, n),
        "sex": rng.choice(["female", "male"], n),
        "credit_amount": rng.gamma(2.0, 1500.0, n),
    })
    examples = predictions.assign(is_favorable_outcome=~default)
    return training_set_from_examples(
        examples, feature_names=["duration", "age", "sex", "credit_amount"])


@pytest.fixture(scope="module")
def trained():
    training_set = _training_set()
    model = train_candidate(training_set, seed=3, cost_false_approval=10.0,
                            cost_false_refusal=1.0)
    return model, training_set.X


def test_contributions_add_up_to_the_raw_margin(trained):
    model, X = trained
    contributions = shap_contributions(model, X)
    assert contributions.shape == (len(X), len(model.feature_names) + 1)
    raw_margin = model.booster.predict(model.encode(X), raw_score=True)
    np.testing.assert_allclose(contributions.sum(axis=1), raw_margin, rtol=1e-9, atol=1e-9)


def test_mean_abs_contributions_frame(trained):
    model, X = trained
    frame = mean_abs_contributions(model, X)
    assert frame["feature_name"].tolist() == model.feature_names
    expected = np.abs(shap_contributions(model, X)[:, :-1]).mean(axis=0)
    np.testing.assert_allclose(frame["mean_abs_contribution"], expected, rtol=1e-12)
    assert (frame["n_rows"] == len(X)).all()


def test_the_feature_that_matters_gets_most_of_the_share(trained):
    model, X = trained
    frame = mean_abs_contributions(model, X)
    assert importance_share(frame, ["duration"]) > 0.6
    assert importance_share(frame, ["age", "sex"]) < 0.3
    everything = importance_share(frame, model.feature_names)
    assert everything == pytest.approx(1.0)


def test_importance_share_hand_case():
    # 1 + 3 on sensitive features out of 1 + 3 + 4 = 8 -> 0.5; unknown names are ignored.
    frame = pd.DataFrame({"feature_name": ["age", "sex", "duration"],
                          "mean_abs_contribution": [1.0, 3.0, 4.0]})
    assert importance_share(frame, {"age", "sex", "not_a_feature"}) == 0.5
    zero = frame.assign(mean_abs_contribution=0.0)
    assert importance_share(zero, {"age"}) == 0.0
