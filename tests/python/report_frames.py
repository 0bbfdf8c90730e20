"""Hand-made mart frames for the report's tests: every mart the report reads, with made-up
rows (no number comes from Vigie's output), with or without the columns added in this wave
(fairness intervals, production's side of each gate check, the decision's way out)."""

from __future__ import annotations

import pandas as pd

INTERVAL_COLUMNS = ("demographic_parity_ratio_ci_low", "demographic_parity_ratio_ci_high",
                    "demographic_parity_difference_ci_low",
                    "demographic_parity_difference_ci_high",
                    "equalized_odds_difference_ci_low", "equalized_odds_difference_ci_high",
                    "n_bootstrap_resamples", "n_predictions", "n_labeled")
CHECK_COLUMNS = ("ci_low", "ci_high", "production_observed", "production_ci_low",
                 "production_ci_high", "production_passed")
DECISION_COLUMNS = ("training_method", "answers_version", "production_failed_checks",
                    "production_way_out")
FEATURES = {"age": "integer", "credit_amount": "numeric", "sex": "categorical"}
CHECKS = ("auc_margin", "four_fifths", "equalized_odds", "sensitive_importance",
          "validation_auc_floor")


def _days(n: int) -> list[pd.Timestamp]:
    return list(pd.date_range("2026-01-01", periods=n, freq="D"))


def mart_frames(*, days: int = 60, new_columns: bool = True) -> dict[str, pd.DataFrame]:
    """Every mart of the report; the sex feature drifts from the second half on."""
    dates = _days(days)
    shift = days // 2
    drift_rows, bins = [], []
    for i, day in enumerate(dates):
        for feature, kind in FEATURES.items():
            drifted = feature == "sex" and i >= shift
            numeric = kind != "categorical"
            drift_rows.append({
                "window_date": day, "model_name": "credit_risk", "model_version": "v1",
                "feature_name": feature, "feature_type": kind,
                "psi": 0.4 if drifted else 0.02, "ks_statistic": 0.05 if numeric else None,
                "ks_pvalue": 0.6 if numeric else None,
                "chi_square_pvalue": None if numeric else (1e-6 if drifted else 0.5),
                "cramers_v": None if numeric else (0.3 if drifted else 0.02),
                "is_drifted": drifted, "drift_rule": "chi_square" if not numeric else "ks"})
            for b in range(2 if kind == "categorical" else 4):
                bins.append({
                    "window_date": day, "model_name": "credit_risk", "model_version": "v1",
                    "feature_name": feature, "feature_type": kind,
                    "bin_label": ("female", "male")[b] if not numeric else f"bin {b + 1:02d}",
                    "bin_index": b + 1 if numeric else None,
                    "lower_bound": 20.0 + 10 * b if numeric else None,
                    "upper_bound": 30.0 + 10 * b if numeric else None,
                    "reference_proportion": 0.5 if not numeric else 0.25,
                    "current_proportion": (0.1, 0.9)[b] if drifted else
                    (0.5 if not numeric else 0.25)})
    status = ["ok" if i < shift else "alert" for i in range(days)]
    frames = {
        "model_versions": pd.DataFrame({
            "model_name": "credit_risk", "model_version": ["v1", "v2", "v3"],
            "stage": ["production", "rejected", "candidate"],
            "is_production": [True, False, False], "validation_auc": [0.71, 0.74, 0.73]}),
        "drift_summary": pd.DataFrame({
            "window_date": dates, "model_name": "credit_risk", "model_version": "v1",
            "n_features": 3, "n_drifted": [0 if s == "ok" else 1 for s in status],
            "drift_share": [0.0 if s == "ok" else 1 / 3 for s in status], "status": status,
            "drifted_features": ["" if s == "ok" else "sex" for s in status],
            "max_psi": 0.4}),
        "feature_drift": pd.DataFrame(drift_rows),
        "feature_distributions": pd.DataFrame(bins),
        "group_parity": pd.DataFrame([
            {"window_date": d, "model_name": "credit_risk", "model_version": "v1",
             "attribute": "sex", "group_name": g, "selection_rate": r}
            for d in dates for g, r in (("female", 0.45), ("male", 0.62))]),
        "fairness_summary": pd.DataFrame({
            "window_date": dates, "model_name": "credit_risk", "model_version": "v1",
            "attribute": "sex", "demographic_parity_ratio": 0.7258,
            "demographic_parity_difference": 0.17, "equalized_odds_difference": 0.0412,
            "passes_four_fifths_rule": False, "passes_equalized_odds": True,
            "demographic_parity_ratio_ci_low": 0.6613,
            "demographic_parity_ratio_ci_high": 0.7931,
            "demographic_parity_difference_ci_low": 0.12,
            "demographic_parity_difference_ci_high": 0.22,
            "equalized_odds_difference_ci_low": 0.0101,
            "equalized_odds_difference_ci_high": 0.0877,
            "n_bootstrap_resamples": 200, "n_predictions": 150, "n_labeled": 90}),
        "model_performance": pd.DataFrame({
            "window_date": dates, "model_name": "credit_risk", "model_version": "v1",
            "n_labeled": 90, "roc_auc": [0.70 - 0.001 * i for i in range(days)],
            "validation_auc": 0.71, "auc_gap": [-0.01 - 0.001 * i for i in range(days)]}),
        "kpi_alerts": pd.DataFrame({
            "window_date": [dates[-1]], "model_name": "credit_risk", "model_version": "v1",
            "kpi_name": ["approval_rate"], "bad_direction": ["down"],
            "observed_value": [0.41], "baseline_value": [0.55], "relative_change": [-0.2545]}),
        "schema_conformance": pd.DataFrame({
            "window_date": dates[-2:], "model_name": "credit_risk",
            "feature_name": ["channel", "saving_accounts"], "is_expected": [False, True],
            "is_observed": [True, True], "conformance_rate": [1.0, 0.66]}),
        "promotion_decisions": pd.DataFrame({
            "decision_id": ["d2", "d3"], "model_name": "credit_risk",
            "candidate_version": ["v2", "v3"], "production_version": "v1",
            "evaluation_id": ["credit_risk:v2:vs:v1", "credit_risk:v3:vs:v1"],
            "decided_at": pd.to_datetime(["2026-02-01 10:00", "2026-02-01 11:00"]),
            "decision": ["blocked", "blocked"],
            "reasons": ["equalized odds failed for age: difference 0.1432 > 0.1",
                        "auc_margin failed: delta 0.0041 < 0.01"],
            "training_method": ["naive", "mitigated"], "answers_version": [None, "v2"],
            "production_failed_checks": ["four_fifths (sex: ratio 0.7258 < 0.8)"] * 2,
            "production_way_out": ["freeze automated decisions for review"] * 2}),
        "promotion_gate_checks": pd.DataFrame([
            {"evaluation_id": f"credit_risk:{v}:vs:v1", "model_name": "credit_risk",
             "candidate_version": v, "production_version": "v1", "check_name": check,
             "observed": observed, "bound": bound, "is_assessable": True,
             "passed": passed, "detail": f"{check} of {v}",
             "ci_low": None if check in ("auc_margin", "validation_auc_floor") else
             observed - 0.05, "ci_high": None if check in ("auc_margin",
                                                          "validation_auc_floor") else
             observed + 0.05, "production_observed": observed - 0.02,
             "production_ci_low": observed - 0.06, "production_ci_high": observed + 0.02,
             "production_passed": check != "four_fifths"}
            for v, offset in (("v2", 0.0), ("v3", 0.01))
            for check, observed, bound, passed in (
                ("auc_margin", 0.0311 - 8 * offset, 0.01, v == "v2"),
                ("four_fifths", 0.8612 + offset, 0.8, True),
                ("equalized_odds", 0.1432 - 8 * offset, 0.1, v == "v3"),
                ("sensitive_importance", 0.12, 0.25, True),
                ("validation_auc_floor", 0.74, 0.6, True))]),
    }
    if not new_columns:
        frames["fairness_summary"] = frames["fairness_summary"].drop(
            columns=list(INTERVAL_COLUMNS))
        frames["promotion_gate_checks"] = frames["promotion_gate_checks"].drop(
            columns=list(CHECK_COLUMNS))
        frames["promotion_decisions"] = frames["promotion_decisions"].drop(
            columns=list(DECISION_COLUMNS))
    return frames
