"""Feature importance from LightGBM TreeSHAP contributions (booster.predict(pred_contrib=True))."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from models_ml.training import TrainedModel

CONTRIBUTION_COLUMNS = ["feature_name", "mean_abs_contribution", "n_rows"]


def shap_contributions(model: TrainedModel, X: pd.DataFrame) -> np.ndarray:
    """TreeSHAP matrix (rows x features + 1): per-feature log-odds contributions, bias last."""
    return np.asarray(model.booster.predict(model.encode(X), pred_contrib=True), dtype=float)


def mean_abs_contributions(model: TrainedModel, X: pd.DataFrame) -> pd.DataFrame:
    """Mean |TreeSHAP contribution| per feature over the rows of X (bias column dropped)."""
    contributions = shap_contributions(model, X)[:, :-1]
    mean_abs = np.abs(contributions).mean(axis=0) if len(X) else np.zeros(len(model.feature_names))
    return pd.DataFrame({"feature_name": model.feature_names,
                         "mean_abs_contribution": mean_abs.astype(float),
                         "n_rows": len(X)}, columns=CONTRIBUTION_COLUMNS)


def importance_share(contributions: pd.DataFrame, sensitive_features: Collection[str]) -> float:
    """Share of total mean |contribution| carried by the sensitive features (0 when total is 0)."""
    values = contributions["mean_abs_contribution"].astype(float)
    total = float(values.sum())
    if total == 0.0:
        return 0.0
    sensitive = contributions["feature_name"].astype(str).isin({str(f) for f in sensitive_features})
    return float(values[sensitive.to_numpy()].sum() / total)
