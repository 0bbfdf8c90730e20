"""Isotonic calibration of a model version's scores, as the points of its piecewise-linear map.

Confidence-based performance estimation (marts.performance_estimates) needs the probability of
the unfavourable outcome given a score. A model's score is that probability only if the model is
calibrated; an isotonic fit on the version's labelled validation rows makes it so, as NannyML's
CBPE does. The fit is a raw fact, like a score: Python writes its points (raw.score_calibration)
and dbt applies them, so every estimate is defined once, in SQL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

CALIBRATION_COLUMNS = ["point_index", "score", "calibrated_probability"]


def isotonic_points(scores: np.ndarray, is_positive: np.ndarray) -> pd.DataFrame:
    """The points (score, calibrated probability) of the isotonic regression of the positive
    indicator on the score, in increasing score order.

    Between two points the map is linear; below the first and above the last it is flat
    (scikit-learn's IsotonicRegression(out_of_bounds='clip').predict is np.interp over these
    points). Rows with a missing score or label are left out. Raises ValueError when fewer than
    two rows, or a single class, remain: a calibration from one class says nothing.
    """
    x = np.asarray(scores, dtype=float).ravel()
    y = np.asarray(is_positive, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"isotonic_points: {x.size} scores but {y.size} labels")
    kept = np.isfinite(x) & np.isfinite(y)
    x, y = x[kept], y[kept]
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("isotonic_points: labels must be 0 or 1")
    if x.size < 2 or np.unique(y).size < 2:
        raise ValueError(f"isotonic_points: {x.size} labelled rows with "
                         f"{np.unique(y).size} class(es); need both classes")
    fit = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0, increasing=True)
    fit.fit(x, y)
    return pd.DataFrame({"point_index": np.arange(fit.X_thresholds_.size, dtype=int),
                         "score": fit.X_thresholds_.astype(float),
                         "calibrated_probability": fit.y_thresholds_.astype(float)})


def calibrated(points: pd.DataFrame, scores: np.ndarray) -> np.ndarray:
    """The calibrated probability of each score under the points of isotonic_points (linear
    between points, flat outside them)."""
    return np.interp(np.asarray(scores, dtype=float), points["score"].to_numpy(dtype=float),
                     points["calibrated_probability"].to_numpy(dtype=float))
