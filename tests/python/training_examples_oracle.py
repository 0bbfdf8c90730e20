"""Test oracle for intermediate.int_training_examples: the same wide, labelled, banded rows built
independently in pandas from the raw rows (predictions with their features as Python dicts,
feedback) and the seed CSVs. It is a reference for the tests only; Vigie itself defines these
rows once, in dbt."""

from __future__ import annotations

import math

import pandas as pd

BAND_SUFFIX = "__group"
FIXED_COLUMNS = ["prediction_id", "model_name", "model_version", "scored_at", "window_date",
                 "score", "decision", "is_favorable_decision", "outcome", "label_received_at",
                 "is_favorable_outcome"]


def _is_json_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not (
        isinstance(value, float) and math.isnan(value))


def latest_labels(feedback: pd.DataFrame) -> pd.DataFrame:
    """Per prediction, the label (kind 'label', outcome given) received last; on a tie of
    received_at, the one with the greatest feedback_id."""
    labels = feedback[(feedback["kind"] == "label") & feedback["outcome"].notna()]
    ordered = labels.sort_values(["prediction_id", "received_at", "feedback_id"])
    return ordered.groupby("prediction_id", sort=False).tail(1).set_index("prediction_id")


def _typed(value: object, feature_type: str | None) -> object:
    """A JSON value as the feature's schema type reads it: numbers for numeric and integer
    features, strings for categorical ones; anything else (null, wrong type, absent) is None."""
    if feature_type in ("numeric", "integer"):
        return float(value) if _is_json_number(value) else None
    if feature_type == "categorical":
        return value if isinstance(value, str) else None
    return None


def _band(value: object, bands: pd.DataFrame) -> str:
    """The group of seeds/sensitive_groups a value falls in: a category by its text, a number in
    [lower_bound, upper_bound); the first by group name when several match; else 'unknown'."""
    matches = []
    for band in bands.itertuples():
        if isinstance(band.category_value, str):
            if isinstance(value, str) and value == band.category_value:
                matches.append(band.group_name)
        elif _is_json_number(value):
            above = pd.isna(band.lower_bound) or value >= band.lower_bound
            below = pd.isna(band.upper_bound) or value < band.upper_bound
            if above and below:
                matches.append(band.group_name)
    return sorted(matches)[0] if matches else "unknown"


def training_examples(predictions: pd.DataFrame, feedback: pd.DataFrame,
                      feature_schema: pd.DataFrame, sensitive_groups: pd.DataFrame,
                      outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per prediction with a label: fixed columns, one column per feature of the seed
    (sorted by name), one `<attribute>__group` column per sensitive attribute (sorted)."""
    features = sorted(set(feature_schema["feature_name"]))
    attributes = sorted(set(feature_schema.loc[feature_schema["is_sensitive"], "feature_name"]))
    types = {(r.model_name, r.feature_name): r.feature_type for r in feature_schema.itertuples()}
    sensitive = {(r.model_name, r.feature_name) for r in feature_schema.itertuples()
                 if r.is_sensitive}
    favorable = {(r.model_name, r.value_kind, r.value): bool(r.is_favorable)
                 for r in outcomes.itertuples()}
    latest = latest_labels(feedback)
    rows = []
    for p in predictions.itertuples():
        if p.prediction_id not in latest.index:
            continue
        label = latest.loc[p.prediction_id]
        row = {"prediction_id": p.prediction_id, "model_name": p.model_name,
               "model_version": p.model_version, "scored_at": pd.Timestamp(p.scored_at),
               "window_date": pd.Timestamp(p.scored_at).date(), "score": float(p.score),
               "decision": p.decision,
               "is_favorable_decision": favorable.get((p.model_name, "decision", p.decision)),
               "outcome": label["outcome"],
               "label_received_at": pd.Timestamp(label["received_at"]),
               "is_favorable_outcome": favorable.get((p.model_name, "outcome",
                                                      label["outcome"]))}
        for feature in features:
            row[feature] = _typed(p.features.get(feature), types.get((p.model_name, feature)))
        for attribute in attributes:
            row[attribute + BAND_SUFFIX] = (
                _band(p.features.get(attribute),
                      sensitive_groups[sensitive_groups["attribute"] == attribute])
                if (p.model_name, attribute) in sensitive else None)
        rows.append(row)
    columns = FIXED_COLUMNS + features + [a + BAND_SUFFIX for a in attributes]
    return pd.DataFrame(rows, columns=columns).sort_values("prediction_id").reset_index(
        drop=True)
