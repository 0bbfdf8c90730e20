"""The label-free estimates on DuckDB and PostgreSQL: the calibration step (raw.score_calibration)
and dbt's marts.performance_estimates, group_performance_estimates and fairness_summary's
estimated equalized odds, against scikit-learn and fairlearn on weighted rows (cbpe_oracle),
and their sampling bands against a Monte Carlo of the labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cbpe_oracle import (
    calibrators,
    estimates,
    group_rates,
    simulated_auc_spread,
    simulated_spread,
)
from fairlearn import metrics as fm
from rawdata import dbt_build
from test_fairness_marts import (
    ATOL,
    MIN_GROUP,
    THRESHOLDS,
    assert_rows_close,
    build_warehouse,
    make_traffic,
    mart,
    prediction_groups,
)
from test_performance_marts import labelled_predictions, performance_reference

from orchestration.assets.calibration import compute_calibrations

KEYS = ["window_date", "model_name", "model_version"]
METRICS = ["roc_auc", "precision", "recall", "f1", "accuracy"]
SIGMAS = THRESHOLDS["performance_estimate_band_sigmas"]
ESTIMATE_MARTS = ("+performance_estimates", "+group_performance_estimates", "+fairness_summary",
                  "--indirect-selection", "cautious")


@pytest.fixture(scope="module")
def traffic():
    """make_traffic's days, with validation rows whose outcomes follow the score (v1, so the
    isotonic fit has a shape) and a v2 whose validation rows are all repaid (no calibration)."""
    traffic = make_traffic(seed=5)
    rng = np.random.default_rng(5)
    score = rng.integers(0, 65, 600) / 64
    traffic.validation = pd.concat([
        pd.DataFrame({"model_name": "credit_risk", "model_version": "v1",
                      "row_id": [f"val-v1-{i}" for i in range(600)], "score": score,
                      "outcome": np.where(rng.random(600) < 0.05 + 0.8 * score, "defaulted",
                                          "repaid"),
                      "scored_at": pd.Timestamp("2030-02-01")}),
        pd.DataFrame({"model_name": "credit_risk", "model_version": "v2",
                      "row_id": [f"val-v2-{i}" for i in range(40)],
                      "score": rng.integers(0, 65, 40) / 64, "outcome": "repaid",
                      "scored_at": pd.Timestamp("2030-02-01")})], ignore_index=True)
    return traffic


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request, tmp_path_factory, traffic):
    tmp = tmp_path_factory.mktemp(request.param)
    warehouse = build_warehouse(request.param, tmp, traffic, "+int_validation_scores_labelled")
    warehouse.fits = compute_calibrations(warehouse)
    warehouse.refits = compute_calibrations(warehouse)
    dbt_build(warehouse.config, str(tmp / "dbt_target"), "--select", *ESTIMATE_MARTS)
    yield warehouse
    warehouse.drop()


@pytest.fixture(scope="module")
def calibrated(traffic) -> pd.DataFrame:
    """Each prediction with the oracle's calibrated probability (NaN without a calibration)."""
    fitted = calibrators(traffic.validation)
    frame = labelled_predictions(traffic)
    probability = np.full(len(frame), np.nan)
    for version, model in fitted.items():
        rows = (frame["model_version"] == version).to_numpy()
        probability[rows] = model.predict(frame.loc[rows, "score"].to_numpy(dtype=float))
    return frame.assign(p=probability, predicted=(frame["decision"] != "approved").astype(int))


def test_the_calibration_step_fits_each_version_once_and_dbt_applies_it(built, traffic,
                                                                        calibrated):
    assert [(f["model_version"], f["n_validation_rows"], f["n_points"] > 1)
            for f in built.fits] == [("v1", 600, True), ("v2", 40, False)]
    assert "single class" in built.fits[1]["skipped"] or "class" in built.fits[1]["skipped"]
    # v2 has no fit to skip to, so it is attempted again; v1 is not fitted twice
    assert [f["model_version"] for f in built.refits] == ["v2"]
    model = calibrators(traffic.validation)["v1"]
    points = built.query_df("select score, calibrated_probability from raw.score_calibration "
                            "where model_version = 'v1' order by point_index")
    np.testing.assert_allclose(points["score"], model.X_thresholds_, atol=ATOL)
    np.testing.assert_allclose(points["calibrated_probability"], model.y_thresholds_, atol=ATOL)
    ours = built.query_df("select prediction_id, calibrated_probability "
                          "from intermediate.int_predictions_calibrated")
    merged = calibrated.merge(ours, on="prediction_id", validate="one_to_one")
    assert len(merged) == len(calibrated)
    np.testing.assert_allclose(merged["calibrated_probability"].astype(float), merged["p"],
                               atol=ATOL, equal_nan=True)
    assert merged.loc[merged["model_version"] == "v2", "calibrated_probability"].isna().all()


def estimate_reference(calibrated: pd.DataFrame) -> pd.DataFrame:
    """The oracle's estimates per day × version (all rows), its estimates over the labelled
    rows minus scikit-learn's realized values (the estimation error), and the realized values."""
    realized = performance_reference(calibrated, pd.DataFrame(
        columns=["model_version", "outcome", "score"])).set_index(KEYS)
    rows = []
    for key, part in calibrated.groupby(KEYS):
        row = dict(zip(KEYS, key, strict=True), n_predictions=len(part))
        if part["p"].notna().all():
            row.update(estimates(part["score"].to_numpy(), part["p"].to_numpy(),
                                 part["predicted"].to_numpy()))
            labelled = part[part["outcome"].notna()]
            on_labelled = estimates(labelled["score"].to_numpy(), labelled["p"].to_numpy(),
                                    labelled["predicted"].to_numpy())
            for metric in METRICS:
                row[f"{metric}_estimation_error"] = (on_labelled[f"estimated_{metric}"]
                                                     - realized.loc[key, metric])
        for metric in METRICS:
            row[f"realized_{metric}"] = realized.loc[key, metric]
        rows.append(row)
    return pd.DataFrame(rows)


def test_performance_estimates_equal_sklearn_on_weighted_rows(built, calibrated):
    ours = mart(built, "performance_estimates")
    expected = estimate_reference(calibrated)
    columns = ["n_predictions"] + [f"{prefix}{metric}{suffix}" for metric in METRICS
                                   for prefix, suffix in (("estimated_", ""), ("realized_", ""),
                                                          ("", "_estimation_error"))]
    assert_rows_close(ours, expected, KEYS, columns)
    v1 = ours[ours["model_version"] == "v1"]
    assert v1["estimated_roc_auc"].notna().all() and (v1["n_calibrated"] == v1["n_predictions"]
                                                       ).all()
    # no calibration, no estimate: v2's stay null rather than guessed
    v2 = ours[ours["model_version"] == "v2"]
    assert len(v2) and v2[[f"estimated_{m}" for m in METRICS]].isna().all().all()
    assert (v2["n_calibrated"] == 0).all()


def test_the_bands_span_the_realized_values_spread(built, calibrated):
    """Half a band is SIGMAS standard errors of the realized metric under Bernoulli(p) labels:
    within 5 % of the Monte Carlo spread for the ratios (4,000 draws: about 1 % of noise, and
    the delta method's error at these sizes), 25 % for the AUC (Hanley and McNeil's formula
    assumes fixed class sizes; here it is 3-18 % wider than the spread: conservative)."""
    ours = mart(built, "performance_estimates").set_index(KEYS)
    rng = np.random.default_rng(3)
    checked = 0
    for key, part in calibrated[calibrated["model_version"] == "v1"].groupby(KEYS):
        row = ours.loc[tuple(str(k) for k in key)]
        p, predicted = part["p"].to_numpy(), part["predicted"].to_numpy()
        spread = simulated_spread(p, predicted, 4000, rng)
        spread["roc_auc"] = simulated_auc_spread(part["score"].to_numpy(), p, 300, rng)
        for metric in METRICS:
            estimate, low, high = (row[f"estimated_{metric}{s}"] for s in ("", "_low", "_high"))
            assert low <= estimate <= high, metric
            if 0 < low and high < 1:  # a band cut at 0 or 1 is not symmetric
                tolerance = 0.25 if metric == "roc_auc" else 0.05
                assert (high - low) / (2 * SIGMAS) == pytest.approx(spread[metric],
                                                                    rel=tolerance), (key, metric)
                checked += 1
    assert checked >= 20


def test_group_estimates_and_estimated_equalized_odds_equal_fairlearn(built, calibrated,
                                                                      traffic):
    groups = prediction_groups(traffic).merge(
        calibrated[["prediction_id", "p"]], on="prediction_id")
    groups = groups[groups["p"].notna()]
    rows, summaries = [], []
    for key, part in groups.groupby(KEYS + ["attribute"]):
        rates = group_rates(part["p"].to_numpy(), part["decision"].to_numpy(),
                            part["group_name"].to_numpy())
        rows.append(rates.assign(**dict(zip(KEYS + ["attribute"], key, strict=True))))
        kept = part[part.groupby("group_name")["prediction_id"].transform("size") >= MIN_GROUP]
        if kept["group_name"].nunique():
            favourable = np.concatenate([np.ones(len(kept)), np.zeros(len(kept))])
            summaries.append(dict(zip(KEYS + ["attribute"], key, strict=True),
                                  estimated_equalized_odds_difference=
                                  fm.equalized_odds_difference(
                                      favourable, np.tile(kept["decision"].to_numpy(), 2),
                                      sensitive_features=np.tile(kept["group_name"].to_numpy(), 2),
                                      sample_weight=np.concatenate([1 - kept["p"], kept["p"]]))))
    expected = pd.concat(rows, ignore_index=True)
    ours = mart(built, "group_performance_estimates")
    assert_rows_close(ours[ours["model_version"] == "v1"], expected,
                      KEYS + ["attribute", "group_name"],
                      ["estimated_true_positive_rate", "estimated_false_positive_rate"])
    assert ours.loc[ours["model_version"] == "v2", "estimated_true_positive_rate"].isna().all()
    summary = mart(built, "fairness_summary")
    assert_rows_close(summary[summary["model_version"] == "v1"], pd.DataFrame(summaries),
                      KEYS + ["attribute"], ["estimated_equalized_odds_difference"])
    v1 = summary[summary["model_version"] == "v1"]
    low, estimate, high = (v1[f"estimated_equalized_odds_difference{s}"].astype(float)
                           for s in ("_low", "", "_high"))
    assert ((low <= estimate + ATOL) & (estimate <= high + ATOL)).all()
    bound = THRESHOLDS["equalized_odds_bound"]
    assert (v1["passes_estimated_equalized_odds"] == (estimate <= bound)).all()
    # v2: no calibration, so the estimate cannot be assessed and passes nothing
    v2 = summary[summary["model_version"] == "v2"]
    assert v2["estimated_equalized_odds_difference"].isna().all()
    assert v2["passes_estimated_equalized_odds"].isna().all()
