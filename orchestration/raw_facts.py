"""The raw facts Vigie's own Python steps write, beside the raw contract and in its schema: test
statistics, scores, calibrations, SHAP values, fuzz cases, audits, alert deliveries. dbt turns
them into the marts; none of them holds a metric (every number is defined in dbt)."""

from __future__ import annotations

import sqlalchemy as sa

from orchestration.raw_contract import JsonObject, metadata

# Written by the Python KS step; marts.feature_drift reads it (it may be empty). A test is
# keyed by the reference it was computed against and the day's prediction count it saw, so a
# new reference or late rows add a row and the mart shows only the test of the current data.
drift_tests = sa.Table(
    "drift_tests",
    metadata,
    sa.Column("window_date", sa.Date, nullable=False),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("feature_name", sa.String, nullable=False),
    sa.Column("test_name", sa.String, nullable=False),  # ks | chi_square | wasserstein
    sa.Column("reference_hash", sa.String, nullable=False),
    sa.Column("n_predictions", sa.BigInteger, nullable=False),
    sa.Column("statistic", sa.Double),
    sa.Column("effect_size", sa.Double),
    sa.Column("pvalue", sa.Double),
    sa.Column("n_reference", sa.Integer),
    sa.Column("n_current", sa.Integer),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("window_date", "model_name", "model_version", "feature_name",
                            "test_name", "reference_hash", "n_predictions"),
)

# Held-out labelled rows scored by a candidate and by production, for the promotion gate.
evaluation_scores = sa.Table(
    "evaluation_scores",
    metadata,
    sa.Column("evaluation_id", sa.String, nullable=False),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("role", sa.String, nullable=False),  # candidate | production
    sa.Column("prediction_id", sa.String, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("decision", sa.String, nullable=False),
    sa.Column("outcome", sa.String, nullable=False),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("evaluation_id", "model_version", "prediction_id"),
    # Spark's Parquet tables cannot delete rows: a re-run of an evaluation replaces its
    # partition instead (warehouse.delete_where).
    info={"spark_partition_by": "evaluation_id"},
)

# A version's held-out validation rows as it scored them at training (row_id: the prediction
# for a retrained candidate, the reference row for the initial model); dbt computes the
# validation AUC from them (marts.model_versions.validation_auc).
validation_scores = sa.Table(
    "validation_scores",
    metadata,
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("row_id", sa.String, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("outcome", sa.String, nullable=False),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("model_name", "model_version", "row_id"),
)

# The isotonic calibration of a version's scores, fitted on its validation rows (models_ml/
# calibration.py): the points of a piecewise-linear map from score to the probability of the
# unfavourable outcome, keyed by the validation rows it was fitted on (their count), so a version
# whose validation rows changed is fitted again. dbt applies it (marts.performance_estimates).
score_calibration = sa.Table(
    "score_calibration",
    metadata,
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("n_validation_rows", sa.Integer, nullable=False),
    sa.Column("point_index", sa.Integer, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("calibrated_probability", sa.Double, nullable=False),
    sa.Column("fitted_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("model_name", "model_version", "n_validation_rows", "point_index"),
)

# The domain classifier of a day × version (models_ml/multivariate.py): each sampled row's
# out-of-fold score (side: baseline or current), keyed by the version's baseline (its first
# days of production: baseline_key) and the day's prediction count; dbt computes its AUC
# (marts.multivariate_drift).
domain_classifier_scores = sa.Table(
    "domain_classifier_scores",
    metadata,
    sa.Column("window_date", sa.Date, nullable=False),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("baseline_key", sa.String, nullable=False),
    sa.Column("n_predictions", sa.BigInteger, nullable=False),
    sa.Column("side", sa.String, nullable=False),  # reference | current
    sa.Column("row_id", sa.String, nullable=False),
    sa.Column("fold", sa.Integer, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("window_date", "model_name", "model_version", "baseline_key",
                            "n_predictions", "side", "row_id"),
)

# Each feature's share of the domain classifier's gain, summed over its folds, per run.
domain_classifier_importance = sa.Table(
    "domain_classifier_importance",
    metadata,
    sa.Column("window_date", sa.Date, nullable=False),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("baseline_key", sa.String, nullable=False),
    sa.Column("n_predictions", sa.BigInteger, nullable=False),
    sa.Column("feature_name", sa.String, nullable=False),
    sa.Column("gain_share", sa.Double, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("window_date", "model_name", "model_version", "baseline_key",
                            "n_predictions", "feature_name"),
)

# Mean |TreeSHAP| per feature for a model version, from LightGBM pred_contrib=True.
feature_contributions = sa.Table(
    "feature_contributions",
    metadata,
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("feature_name", sa.String, nullable=False),
    sa.Column("mean_abs_contribution", sa.Double, nullable=False),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("model_name", "model_version", "feature_name"),
)

# `vigie fuzz` (orchestration/fuzz.py): every schema-generated case of a model version with its
# score and decision; dbt computes what they show (marts.model_fuzz_results).
model_fuzz_scores = sa.Table(
    "model_fuzz_scores",
    metadata,
    sa.Column("fuzz_id", sa.String, nullable=False),  # model_name:model_version
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("case_id", sa.String, nullable=False),
    # centre | edge | combination | random | step | counterfactual
    sa.Column("case_kind", sa.String, nullable=False),
    sa.Column("base_case_id", sa.String),  # the case a step or counterfactual perturbs
    sa.Column("perturbed_feature", sa.String),
    sa.Column("perturbation", sa.String),  # up | down | min | max | category=... | band=...
    sa.Column("features", sa.String, nullable=False),  # the inputs as a JSON object
    sa.Column("score", sa.Double),
    sa.Column("decision", sa.String),
    sa.Column("fuzz_seed", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("fuzz_id", "case_id"),
    info={"spark_partition_by": "fuzz_id"},
)


# Every delivery attempt of an alert of marts.alerts to the webhook (orchestration/alerting.py):
# sent, failed (tried again next time) or suppressed (the view said another alert with the same
# key went out within alert_suppression_hours). marts.alerts reads it back: sent or not.
alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("alert_id", sa.String, nullable=False),
    sa.Column("alert_key", sa.String, nullable=False),
    sa.Column("attempted_at", sa.DateTime, nullable=False),
    sa.Column("delivery_status", sa.String, nullable=False),  # sent | failed | suppressed
    sa.Column("http_status", sa.Integer),
    sa.Column("detail", sa.String),
    sa.PrimaryKeyConstraint("alert_id", "attempted_at"),
)

# `vigie audit` (orchestration/audit.py): one row per audit, naming its two datasets.
audits = sa.Table(
    "audits",
    metadata,
    sa.Column("audit_id", sa.String, primary_key=True),
    sa.Column("model_name", sa.String, nullable=False),  # whose sensitive groups and outcomes
    sa.Column("baseline_source", sa.String, nullable=False),
    sa.Column("candidate_source", sa.String, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# The rows of an audit's two datasets (dataset: baseline | candidate), flattened as
# raw.predictions is: the columns as a JSON object, and the label's outcome when known.
audit_rows = sa.Table(
    "audit_rows",
    metadata,
    sa.Column("audit_id", sa.String, nullable=False),
    sa.Column("dataset", sa.String, nullable=False),
    sa.Column("row_id", sa.String, nullable=False),
    sa.Column("features", JsonObject, nullable=False),
    sa.Column("outcome", sa.String),
    sa.PrimaryKeyConstraint("audit_id", "dataset", "row_id"),
)

# KS (numbers) and chi-square (strings) of an audit's columns, from models_ml/drift.py: each
# column both datasets have, and each baseline-only column against each candidate-only one;
# dbt picks the test that fits the columns' types and decides (drift, likely renames).
audit_tests = sa.Table(
    "audit_tests",
    metadata,
    sa.Column("audit_id", sa.String, nullable=False),
    sa.Column("baseline_column", sa.String, nullable=False),
    sa.Column("candidate_column", sa.String, nullable=False),
    sa.Column("test_name", sa.String, nullable=False),  # ks | chi_square
    sa.Column("statistic", sa.Double),
    sa.Column("effect_size", sa.Double),
    sa.Column("pvalue", sa.Double),
    sa.Column("n_baseline", sa.Integer),
    sa.Column("n_candidate", sa.Integer),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("audit_id", "baseline_column", "candidate_column", "test_name"),
)
