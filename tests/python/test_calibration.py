"""models_ml.calibration: the points of the isotonic map reproduce scikit-learn's predictions,
and a calibration from one class is refused."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from models_ml.calibration import calibrated, isotonic_points


def test_points_reproduce_isotonic_regression_between_and_outside_them():
    rng = np.random.default_rng(4)
    scores = rng.random(500) * 0.8 + 0.1
    labels = (rng.random(500) < scores).astype(int)
    points = isotonic_points(scores, labels)
    assert points["score"].is_monotonic_increasing and points["score"].is_unique
    assert points["calibrated_probability"].is_monotonic_increasing
    reference = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(scores, labels)
    grid = np.linspace(0, 1, 1001)  # below, between and above the fitted scores
    np.testing.assert_allclose(calibrated(points, grid), reference.predict(grid), atol=1e-12)


def test_missing_rows_are_left_out():
    points = isotonic_points(np.array([0.1, np.nan, 0.9, 0.5]), np.array([0, 1, 1, np.nan]))
    np.testing.assert_allclose(points["score"], [0.1, 0.9])
    np.testing.assert_allclose(points["calibrated_probability"], [0, 1])


@pytest.mark.parametrize("scores,labels,message", [
    ([0.1, 0.2, 0.3], [0, 0, 0], "need both classes"),
    ([0.1], [1], "need both classes"),
    ([0.1, 0.2], [0, 2], "0 or 1"),
    ([0.1, 0.2], [0], "2 scores but 1 labels"),
])
def test_a_calibration_it_cannot_make_is_refused(scores, labels, message):
    with pytest.raises(ValueError, match=message):
        isotonic_points(np.array(scores, dtype=float), np.array(labels, dtype=float))
