"""Training pipeline: leak-free training set, leakage check, deterministic LightGBM candidate."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from models_ml.metrics import cost_optimal_threshold, roc_auc

LEAKAGE_ERROR = "feature {feature_name!r} alone predicts the label with AUC {auc:.4f} > {max_auc}"
MISSING_FEATURE_ERROR = "feature {feature_name!r} is not a column of the training examples"
WEIGHT_LENGTH_ERROR = "sample_weight has {n_weights} values for {n_rows} training rows"
NO_EXAMPLES_ERROR = "no labelled predictions to train on"
ERR_VALIDATION_IDS = ("the given validation ids match {n_found} of the {n_rows} training rows: "
                      "a split needs rows on both sides")
BOOSTER_FILE = "booster.txt"
SIDECAR_FILE = "model.json"
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 20,
    "cat_smooth": 10.0, "deterministic": True, "force_row_wise": True, "num_threads": 1,
    "verbosity": -1,
}


class LeakageError(ValueError):
    """A feature predicts the label by itself too well to be a legitimate input."""


@dataclass(frozen=True)
class LeakyFeature:
    """A feature whose single-feature AUC, max(auc, 1 - auc), is above the leakage bound."""

    feature_name: str
    auc: float


@dataclass(frozen=True)
class TrainingSet:
    """Features (index prediction_id, sorted) and 1 = unfavourable outcome, with provenance."""

    X: pd.DataFrame
    y_default: np.ndarray
    prediction_ids: np.ndarray
    window_start: datetime
    window_end: datetime
    dataset_hash: str


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _typed_column(values: pd.Series) -> pd.Series:
    """Numbers as float64; anything else as text (missing stays missing)."""
    present = values[values.notna()]
    if present.empty:
        return pd.Series(np.nan, index=values.index, dtype="float64")
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    if all(_is_number(v) for v in present):
        return pd.to_numeric(values, errors="raise").astype("float64")
    return values.map(lambda v: None if pd.isna(v) else str(v)).astype("str")


def _canonical(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if _is_number(value):
        return float(value)
    return str(value)


def dataset_hash(X: pd.DataFrame, y_default: np.ndarray) -> str:
    """sha256 of the JSON of feature names and rows [prediction_id, y, values...] sorted by id."""
    order = np.argsort(X.index.astype(str).to_numpy(), kind="stable")
    labels = np.asarray(y_default)[order]
    rows = [[str(row[0]), int(label), *[_canonical(v) for v in row[1:]]]
            for row, label in zip(X.iloc[order].itertuples(index=True), labels, strict=True)]
    payload = json.dumps({"features": list(X.columns), "rows": rows}, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def training_set_from_examples(examples: pd.DataFrame, *,
                               feature_names: Sequence[str]) -> TrainingSet:
    """The training set of the given labelled examples: one row per example, sorted by id.

    examples: one row per labelled prediction as the warehouse's int_training_examples holds it
    (prediction_id, scored_at, is_favorable_outcome and one column per feature); which labels
    and predictions count (the latest label, known at the cut-off) is decided there, not here.
    y_default is 1 when the outcome is not the favourable one.
    """
    for feature_name in feature_names:
        if feature_name not in examples.columns:
            raise ValueError(MISSING_FEATURE_ERROR.format(feature_name=feature_name))
    if examples.empty:
        raise ValueError(NO_EXAMPLES_ERROR)
    rows = examples.reset_index(drop=True)
    rows = rows.assign(prediction_id=rows["prediction_id"].astype(str))
    rows = rows.sort_values("prediction_id", kind="stable").reset_index(drop=True)
    X = pd.DataFrame({name: _typed_column(rows[name]) for name in feature_names})
    X.index = pd.Index(rows["prediction_id"], name="prediction_id")
    favorable = rows["is_favorable_outcome"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    y_default = (~favorable).astype(np.int64)
    scored_at = pd.to_datetime(rows["scored_at"])
    return TrainingSet(X=X, y_default=y_default, prediction_ids=X.index.to_numpy(dtype=object),
                       window_start=scored_at.min().to_pydatetime(),
                       window_end=scored_at.max().to_pydatetime(),
                       dataset_hash=dataset_hash(X, y_default))


def _is_categorical(column: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column)


def _single_feature_score(column: pd.Series, y: np.ndarray) -> np.ndarray:
    """Numeric: the value (missing ranked lowest); categorical: the category's default rate."""
    if not _is_categorical(column):
        return column.astype(float).fillna(-np.inf).to_numpy()
    keys = column.astype(object).where(column.notna(), "__null__").astype(str)
    rates = pd.Series(y, index=column.index).groupby(keys.to_numpy()).transform("mean")
    return rates.to_numpy(dtype=float)


def check_leakage(X: pd.DataFrame, y: np.ndarray, max_auc: float) -> list[LeakyFeature]:
    """Features whose single-feature AUC max(auc, 1 - auc) exceeds max_auc."""
    leaky = []
    for feature_name in X.columns:
        auc = roc_auc(y, _single_feature_score(X[feature_name], np.asarray(y)))
        if auc is not None and max(auc, 1.0 - auc) > max_auc:
            leaky.append(LeakyFeature(str(feature_name), max(auc, 1.0 - auc)))
    return leaky


def stratified_split(y: np.ndarray, *, validation_fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train / validation row positions, each class split in the same proportion."""
    rng = np.random.default_rng(seed)
    validation = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_val = int(round(validation_fraction * members.size))
        if members.size >= 2:
            n_val = min(max(n_val, 1), members.size - 1)
        validation.append(members[:n_val])
    val = np.sort(np.concatenate(validation)) if validation else np.array([], dtype=np.int64)
    train = np.setdiff1d(np.arange(y.size), val)
    return train, val


def split_by_ids(index: pd.Index, validation_ids: Sequence[str]) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """Sorted train / validation row positions: validation is the rows whose id is listed."""
    held_out = index.astype(str).isin([str(i) for i in validation_ids])
    if not held_out.any() or held_out.all():
        raise ValueError(ERR_VALIDATION_IDS.format(n_found=int(held_out.sum()), n_rows=index.size))
    return np.flatnonzero(~held_out), np.flatnonzero(held_out)


def encode_features(X: pd.DataFrame, feature_names: Sequence[str],
                    categories: Mapping[str, Sequence[str]]) -> np.ndarray:
    """Float matrix in feature order; categorical values as codes in the given category lists."""
    columns = []
    for feature_name in feature_names:
        column = X[feature_name]
        if feature_name in categories:
            text = column.astype(object).map(lambda v: None if pd.isna(v) else str(v))
            codes = pd.Index(list(categories[feature_name]), dtype=object).get_indexer(text)
            columns.append(np.where(codes < 0, np.nan, codes).astype(float))
        else:
            columns.append(pd.to_numeric(column, errors="raise").to_numpy(dtype=float))
    return np.column_stack(columns) if columns else np.empty((len(X), 0))


@dataclass
class TrainedModel:
    """A LightGBM booster with its feature encoding, cost threshold and training provenance."""

    booster: lgb.Booster
    feature_names: list[str]
    categories: dict[str, list[str]]
    validation_prediction_ids: list[str]
    decision_threshold: float
    dataset_hash: str
    n_training_rows: int
    window_start: datetime
    window_end: datetime
    seed: int
    params: dict[str, Any]

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """Float matrix in feature order; categories as codes fixed at training (unknown = NaN)."""
        return encode_features(X, self.feature_names, self.categories)

    def predict_default_probability(self, X: pd.DataFrame) -> np.ndarray:
        """P(unfavourable outcome) for each row of X."""
        return self.booster.predict(self.encode(X))

    def decide(self, scores: np.ndarray, *, favorable: str = "approved",
               unfavorable: str = "declined") -> np.ndarray:
        """Unfavourable decision when score >= decision_threshold, favourable otherwise."""
        declined = np.asarray(scores, dtype=float) >= self.decision_threshold
        return np.where(declined, unfavorable, favorable).astype(object)

    def save(self, path: str | Path) -> Path:
        """Write booster.txt (LightGBM text model) and model.json (everything else) into path."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / BOOSTER_FILE))
        sidecar = {key: getattr(self, key) for key in (
            "feature_names", "categories", "validation_prediction_ids",
            "decision_threshold", "dataset_hash", "n_training_rows", "seed", "params")}
        sidecar["window_start"] = self.window_start.isoformat()
        sidecar["window_end"] = self.window_end.isoformat()
        (directory / SIDECAR_FILE).write_text(json.dumps(sidecar, indent=2, sort_keys=True))
        return directory

    @classmethod
    def load(cls, path: str | Path) -> TrainedModel:
        """Read a model written by save."""
        directory = Path(path)
        sidecar = json.loads((directory / SIDECAR_FILE).read_text())
        # Artifacts written before the validation AUC moved to dbt (marts.model_versions).
        sidecar.pop("validation_auc", None)
        booster = lgb.Booster(model_file=str(directory / BOOSTER_FILE))
        return cls(booster=booster,
                   window_start=datetime.fromisoformat(sidecar.pop("window_start")),
                   window_end=datetime.fromisoformat(sidecar.pop("window_end")), **sidecar)


def train_candidate(training_set: TrainingSet, *, seed: int, cost_false_approval: float,
                    cost_false_refusal: float, validation_fraction: float = 0.25,
                    params: Mapping[str, Any] | None = None, num_boost_round: int = 100,
                    leakage_auc_max: float = 0.95,
                    sample_weight: np.ndarray | None = None,
                    validation_ids: Sequence[str] | None = None) -> TrainedModel:
    """Deterministic LightGBM on a seeded stratified split; threshold minimises validation cost.

    sample_weight: one weight per training-set row (e.g. reweighing), used by the LightGBM fit
    only; the cost-optimal threshold stays unweighted. validation_ids: hold out exactly these
    rows (those present in the training set) instead of a fresh split, so that two candidates
    are judged on the same rows. The validation AUC is not computed here: the caller writes the
    validation rows' scores and dbt computes it (marts.model_versions).
    """
    X, y = training_set.X, np.asarray(training_set.y_default)
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if weights is not None and weights.shape != y.shape:
        raise ValueError(WEIGHT_LENGTH_ERROR.format(n_weights=weights.size, n_rows=y.size))
    leaky = check_leakage(X, y, leakage_auc_max)
    if leaky:
        raise LeakageError("; ".join(LEAKAGE_ERROR.format(feature_name=f.feature_name, auc=f.auc,
                                                          max_auc=leakage_auc_max)
                                     for f in leaky))
    categories = {name: sorted({str(v) for v in X[name].dropna()})
                  for name in X.columns if _is_categorical(X[name])}
    all_params = {**DEFAULT_PARAMS, **(params or {}), "seed": seed}
    feature_names = [str(c) for c in X.columns]
    if validation_ids is None:
        train, val = stratified_split(y, validation_fraction=validation_fraction, seed=seed)
    else:
        train, val = split_by_ids(X.index, validation_ids)
    encoded = encode_features(X, feature_names, categories)
    categorical_index = [i for i, name in enumerate(feature_names) if name in categories]
    # LightGBM refuses JSON characters in feature names; a feature name is user data, so the
    # booster sees positions and TrainedModel.feature_names keeps the real names.
    dataset = lgb.Dataset(encoded[train], label=y[train],
                          feature_name=[f"feature_{i}" for i in range(len(feature_names))],
                          weight=None if weights is None else weights[train],
                          categorical_feature=categorical_index, free_raw_data=False)
    booster = lgb.train(all_params, dataset, num_boost_round=num_boost_round)
    val_scores = booster.predict(encoded[val])
    return TrainedModel(
        booster=booster, feature_names=feature_names, categories=categories,
        validation_prediction_ids=[str(i) for i in X.index[val]],
        decision_threshold=cost_optimal_threshold(y[val], val_scores, cost_false_approval,
                                                  cost_false_refusal),
        dataset_hash=training_set.dataset_hash, n_training_rows=int(train.size),
        window_start=training_set.window_start, window_end=training_set.window_end,
        seed=seed, params=all_params)


def _value_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if _is_number(value):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def reference_sample(X: pd.DataFrame, *, max_rows: int, seed: int) -> pd.DataFrame:
    """Long rows (row_id, feature_name, value as text) of up to max_rows seeded-random rows of X."""
    rng = np.random.default_rng(seed)
    n = min(max_rows, len(X))
    positions = np.sort(rng.choice(len(X), size=n, replace=False))
    sample = X.iloc[positions]
    records = [{"row_id": str(row_id), "feature_name": str(feature_name),
                "value": _value_text(value)}
               for row_id, values in zip(sample.index, sample.itertuples(index=False), strict=True)
               for feature_name, value in zip(sample.columns, values, strict=True)]
    return pd.DataFrame(records, columns=["row_id", "feature_name", "value"])
