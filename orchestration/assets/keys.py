"""Asset keys and groups shared by the Python assets, the dbt translator, checks and sensors."""

from __future__ import annotations

import dagster as dg

RAW_GROUP, STAGING_GROUP, MARTS_GROUP = "raw", "staging", "marts"
DRIFT_GROUP, TRAINING_GROUP, PROMOTION_GROUP = "drift", "training", "promotion"
CALIBRATION_GROUP = "calibration"
# The step that delivers marts.alerts (orchestration/assets/alerts.py), a job of its own
ALERTS_GROUP = "alerts"

# Tables the serving system writes (here: the simulator), one asset key each.
RAW_TRAFFIC_TABLES = ("predictions", "feedback", "reference_sample", "quarantine",
                      "ingestion_batches", "validation_scores")
RAW_TRAFFIC_KEYS = {table: dg.AssetKey(["raw", table]) for table in RAW_TRAFFIC_TABLES}

DRIFT_TESTS_KEY = dg.AssetKey(["drift", "ks_drift_tests"])
SCORE_CALIBRATION_KEY = dg.AssetKey(["calibration", "score_calibration"])
# The domain classifier's two raw tables, one step (orchestration/assets/multivariate.py).
DOMAIN_CLASSIFIER_SCORES_KEY = dg.AssetKey(["drift", "domain_classifier_scores"])
DOMAIN_CLASSIFIER_IMPORTANCE_KEY = dg.AssetKey(["drift", "domain_classifier_importance"])
CANDIDATE_MODEL_KEY = dg.AssetKey(["training", "candidate_model"])
ALERT_DELIVERIES_KEY = dg.AssetKey(["alerts", "alert_deliveries"])
CANDIDATE_EVALUATION_KEY = dg.AssetKey(["promotion", "candidate_evaluation"])
# The candidate's schema-generated fuzz cases and scores (raw.model_fuzz_scores).
CANDIDATE_FUZZ_KEY = dg.AssetKey(["promotion", "candidate_fuzz"])
PRODUCTION_MODEL_KEY = dg.AssetKey(["promotion", "production_model"])
# The gate's verdict for the current candidate (the blocking checks stand on it, before
# production_model) and the registry event that records it, which the registry marts read: two
# assets of one step, so a failed blocking check skips production_model but not the marts
# (orchestration/assets/decision.py says why).
PROMOTION_DECISION_KEY = dg.AssetKey(["promotion", "promotion_decision"])
DECISION_RECORD_KEY = dg.AssetKey(["promotion", "decision_record"])

# dbt sources written by a Python asset: the source is that asset, so dbt models reading it are
# its downstream in the graph.
SOURCE_KEYS = {
    "drift_tests": DRIFT_TESTS_KEY,
    "score_calibration": SCORE_CALIBRATION_KEY,
    "domain_classifier_scores": DOMAIN_CLASSIFIER_SCORES_KEY,
    "domain_classifier_importance": DOMAIN_CLASSIFIER_IMPORTANCE_KEY,
    "evaluation_scores": CANDIDATE_EVALUATION_KEY,
    "model_fuzz_scores": CANDIDATE_FUZZ_KEY,
    "feature_contributions": CANDIDATE_MODEL_KEY,
    **RAW_TRAFFIC_KEYS,
}

# dbt models that belong with a Python step rather than with the monitoring marts. The staging
# and intermediate relations over the training and evaluation outputs belong with them too: in
# the monitoring job they had nothing new to read, and Dagster ran them as two dbt steps of
# their own (each a dbt start-up, 7-12 s), between the drift step and the drift marts.
MODEL_GROUPS = {
    "feature_drift": DRIFT_GROUP,
    "drift_summary": DRIFT_GROUP,
    "multivariate_drift": DRIFT_GROUP,
    "seasonal_drift": DRIFT_GROUP,
    "feature_importance": TRAINING_GROUP,
    "model_versions": TRAINING_GROUP,
    "stg_raw__feature_contributions": TRAINING_GROUP,
    "stg_raw__evaluation_scores": PROMOTION_GROUP,
    "int_evaluation_groups": PROMOTION_GROUP,
    "int_gate_evaluations": PROMOTION_GROUP,
    "int_gate_auc_margin": PROMOTION_GROUP,
    "int_gate_fairness": PROMOTION_GROUP,
    "int_gate_sensitive_importance": PROMOTION_GROUP,
    "int_gate_validation_auc_floor": PROMOTION_GROUP,
    "stg_raw__model_fuzz_scores": PROMOTION_GROUP,
    "model_fuzz_results": PROMOTION_GROUP,
    "int_gate_fuzz_counterfactual": PROMOTION_GROUP,
    "candidate_parity": PROMOTION_GROUP,
    "candidate_fairness_summary": PROMOTION_GROUP,
    "promotion_decisions": PROMOTION_GROUP,
    "candidate_evaluation_performance": PROMOTION_GROUP,
    "promotion_gate_checks": PROMOTION_GROUP,
    "promotion_gate": PROMOTION_GROUP,
}

# raw.model_registry has four writers (the simulator's v1, the training step's registrations,
# the decision, the stage change), so its dbt source keeps its own key raw/model_registry (one
# key per source) and the staging view over it is live. The registry marts are tables, built
# after the writes they show: the decisions after the decision's record (which has no blocking
# check, so a blocked candidate still refreshes them in the same run), the versions' stages
# after production_model (skipped with it when the gate blocks; the next build catches up).
MODEL_EXTRA_DEPS = {
    "promotion_decisions": (DECISION_RECORD_KEY,),
    "model_versions": (DECISION_RECORD_KEY, PRODUCTION_MODEL_KEY),
}

# The marts of the ML registry (models/marts/ml).
ML_MARTS = ("feature_importance", "model_versions", "promotion_decisions")

# Tags a trigger puts on the run it requests, so a run says why it happened.
TRIGGER_TAG = "vigie/trigger"
REASON_TAG = "vigie/reason"
