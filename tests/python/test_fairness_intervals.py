"""The bootstrap intervals of fairness_summary, fairness_summary_7d and candidate_fairness_summary
against fairlearn's own bootstrap (MetricFrame(n_boot=..., ci_quantiles=...)) on the same rows,
built by dbt on DuckDB and PostgreSQL.

Tolerance. Ours (a seeded Poisson bootstrap in SQL) and fairlearn's (numpy resampling with
replacement) are two Monte Carlo estimates, from B resamples each, of the same bootstrap
quantiles: on large samples the Poisson and the multinomial bootstrap have the same limit (a
group's rate is a ratio of weighted counts, so the Poisson total's own variation cancels to
O(1/n)). The sample q-quantile of B draws has standard error sqrt(q (1 - q) / B) / f(x_q), f the
density of the bootstrap distribution at the quantile; near-normal with standard deviation s,
f(x_q) = phi(z_q) / s. With q = 0.025, z = 1.96: SE = 0.1561 / 0.05845 * s / sqrt(B) = 2.671 s /
sqrt(B). Ours uses B = 1000 (0.0845 s), fairlearn B = 200 (0.189 s: its bootstrap builds a
MetricFrame per resample, seconds per hundred); their difference has SE sqrt(0.0845^2 + 0.189^2) s
= 0.207 s. The test allows 4 of those, 0.828 s, with s = (fairlearn's high - low) / (2 * 1.96):
about 6e-5 chance per bound of failing on noise, while an interval 50 % too wide (bounds 0.98 s
out) or shifted by one standard deviation fails. The same holds at 0.975 by symmetry.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from functools import partial

import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from fairlearn import metrics as fm
from rawdata import dbt_build, fresh_warehouse, write_raw

from orchestration.dbt_runner import run_dbt

# Ours: 1000 on DuckDB (cheap there); on PostgreSQL, whose row engine takes minutes over the
# cross join, the seed's 200 (SE of the difference 0.267 s, tolerance 1.07 s: same reasoning).
N_BOOT = {"duckdb": 1000, "postgres": 200}
N_BOOT_FAIRLEARN = 200  # fairlearn computes a MetricFrame per resample: seconds per hundred
LEVEL = 0.95
QUANTILES = [(1 - LEVEL) / 2, (1 + LEVEL) / 2]
Z = 1.959963984540054  # scipy.stats.norm.ppf(0.975)
PHI_Z = 0.05844094433345147  # scipy.stats.norm.pdf(Z)
SE_SQUARED = QUANTILES[0] * (1 - QUANTILES[0]) / PHI_Z ** 2  # times s^2 / B


def tolerance_sds(n_boot: int) -> float:
    """Four standard errors of the difference of the two Monte Carlo quantiles, in units of
    the bootstrap distribution's standard deviation s (0.828 for 1000 against 200)."""
    return 4 * np.sqrt(SE_SQUARED / n_boot + SE_SQUARED / N_BOOT_FAIRLEARN)
DAYS = (dt.date(2030, 5, 1), dt.date(2030, 5, 2))
PER_DAY = 1500
INTERVAL_MODELS = ["int_prediction_groups_resampled", "fairness_summary", "fairness_summary_7d",
                   "candidate_fairness_summary"]


def _rows(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Sex and age for every row (no 'unknown' group), approvals lower for women and the young,
    labels on 80 % of rows; approval depends on the outcome, with a TPR gap far larger than the
    FPR gap, so the equalized odds difference is the TPR difference in every resample."""
    female = rng.random(n) < 0.45
    age = rng.choice([21, 30, 50, 65], n, p=[.2, .35, .3, .15]).astype(float)
    repaid = rng.random(n) < 0.7
    approve_good = 0.85 - 0.2 * female - 0.3 * (age < 25)
    approved = np.where(repaid, rng.random(n) < approve_good, rng.random(n) < 0.05)
    labelled = rng.random(n) < 0.8
    return pd.DataFrame({"female": female, "age": age, "approved": approved,
                         "repaid": repaid, "labelled": labelled})


@functools.cache
def make_traffic() -> dict[str, pd.DataFrame]:
    """Two days of one version's traffic, labels, and the candidate's scores of day one."""
    rng = np.random.default_rng(11)
    days = []
    for day in DAYS:
        rows = _rows(rng, PER_DAY)
        rows["prediction_id"] = [f"p-{day:%d}-{i:05d}" for i in range(PER_DAY)]
        rows["window_date"] = day
        days.append(rows)
    rows = pd.concat(days, ignore_index=True)
    predictions = pd.DataFrame({
        "prediction_id": rows["prediction_id"], "model_name": "credit_risk",
        "model_version": "v1", "scored_at": pd.to_datetime(rows["window_date"]) + pd.Timedelta(
            hours=12), "entity_id": "c",
        "features": [{"sex": "female" if f else "male", "age": a}
                     for f, a in zip(rows["female"], rows["age"], strict=True)],
        "score": 0.5, "decision": np.where(rows["approved"], "approved", "declined"),
        "latency_ms": 1.0})
    labelled = rows[rows["labelled"]]
    feedback = pd.DataFrame({
        "feedback_id": [f"f-{i}" for i in range(len(labelled))],
        "prediction_id": labelled["prediction_id"].to_numpy(),
        "received_at": pd.Timestamp("2030-05-20"), "kind": "label",
        "outcome": np.where(labelled["repaid"], "repaid", "defaulted"), "rating": None,
        "event": None})
    feedback["rating"] = feedback["rating"].astype("Int64")
    held_out = rows.iloc[:PER_DAY]  # the first day's rows, re-scored by the candidate
    approve_good = 0.8 - 0.15 * held_out["female"] - 0.3 * (held_out["age"] < 25)
    draw = rng.random(len(held_out))
    candidate = np.where(held_out["repaid"], draw < approve_good, draw < 0.05)
    evaluation = pd.DataFrame({
        "evaluation_id": "eval-1", "model_name": "credit_risk", "model_version": "v2",
        "role": "candidate", "prediction_id": held_out["prediction_id"].to_numpy(),
        "score": 0.5, "decision": np.where(candidate, "approved", "declined"),
        "outcome": np.where(held_out["repaid"], "repaid", "defaulted"),
        "scored_at": pd.Timestamp("2030-05-10")})
    return {"rows": rows, "predictions": predictions, "feedback": feedback,
            "evaluation": evaluation, "candidate_approved": candidate}


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def summaries(request, tmp_path_factory) -> dict[str, pd.DataFrame]:
    # The seed's resample count (raised below), not the suite's lower VIGIE_BOOTSTRAP_RESAMPLES.
    override = os.environ.pop("VIGIE_BOOTSTRAP_RESAMPLES", None)
    n_boot = N_BOOT[request.param]
    traffic = make_traffic()
    tmp = tmp_path_factory.mktemp(f"intervals-{request.param}")
    config, drop = make_config(request.param, tmp)
    try:
        warehouse = fresh_warehouse(config)
        for table in ("predictions", "feedback", "evaluation"):
            write_raw(warehouse, "evaluation_scores" if table == "evaluation" else table,
                      traffic[table])
        target = str(tmp / "dbt_target")
        run_dbt(["seed"], config, target_path=target, capture=True)
        with warehouse.connect() as conn:  # more resamples than the seed's, for a tight test
            conn.exec_driver_sql(f"update raw.thresholds set threshold_value = {n_boot} "
                                 "where threshold_name = 'bootstrap_resamples'")
        dbt_build(config, target, "--select", *(f"+{m}" for m in INTERVAL_MODELS),
                  "--exclude", "resource_type:seed", "resource_type:unit_test",
                  "--indirect-selection", "cautious")
        yield {"n_boot": n_boot} | {name: warehouse.query_df(f"select * from marts.{name}")
                                     for name in INTERVAL_MODELS[1:]}
    finally:
        if override is not None:
            os.environ["VIGIE_BOOTSTRAP_RESAMPLES"] = override
        drop()


@functools.cache
def fairlearn_intervals(mart: str, attribute: str) -> dict:
    """fairlearn's bootstrap interval of each gap of the mart's sample (seeded, computed once
    for both engines)."""
    rows, approved = sample_of(mart)
    group = groups_of(rows, attribute)
    boot = {"n_boot": N_BOOT_FAIRLEARN, "ci_quantiles": QUANTILES, "random_state": 5}
    selection = fm.MetricFrame(metrics=fm.selection_rate, y_true=approved, y_pred=approved,
                               sensitive_features=group, **boot)
    labelled = rows["labelled"].to_numpy()
    odds = fm.MetricFrame(
        metrics={"tpr": partial(fm.true_positive_rate, pos_label=1),
                 "fpr": partial(fm.false_positive_rate, pos_label=1)},
        y_true=rows["repaid"].to_numpy()[labelled].astype(int),
        y_pred=approved[labelled].astype(int), sensitive_features=group[labelled], **boot)
    tpr_gap, fpr_gap = odds.difference(method="between_groups")
    assert tpr_gap > fpr_gap + 0.1  # the TPR gap decides the equalized odds in every resample
    return {"demographic_parity_ratio": list(selection.ratio_ci(method="between_groups")),
            "demographic_parity_difference": list(
                selection.difference_ci(method="between_groups")),
            "equalized_odds_difference": [ci["tpr"] for ci in
                                          odds.difference_ci(method="between_groups")]}


def groups_of(rows: pd.DataFrame, attribute: str) -> pd.Series:
    if attribute == "sex":
        return pd.Series(np.where(rows["female"], "female", "male"), index=rows.index)
    bands = pd.cut(rows["age"], [0, 25, 40, 60, np.inf], right=False,
                   labels=["under_25", "25_39", "40_59", "60_and_over"])
    return bands.astype(str)


def assert_close(row: pd.Series, reference: dict, n_boot: int) -> None:
    assert int(row["n_bootstrap_resamples"]) == n_boot
    for metric, (low, high) in reference.items():
        tolerance = tolerance_sds(n_boot) * (high - low) / (2 * Z)
        ours = (float(row[f"{metric}_ci_low"]), float(row[f"{metric}_ci_high"]))
        assert abs(ours[0] - low) <= tolerance and abs(ours[1] - high) <= tolerance, (
            metric, ours, (low, high), tolerance)
        assert ours[0] <= float(row[metric]) <= ours[1], metric


def sample_of(mart: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows behind the mart's row under test and their approvals."""
    traffic = make_traffic()
    rows = traffic["rows"]
    if mart == "candidate_fairness_summary":
        rows = rows.iloc[:PER_DAY].assign(labelled=True)  # every held-out row has its outcome
        return rows, traffic["candidate_approved"]
    rows = rows[rows["window_date"] <= DAY_OF[mart]]  # the 7-day window of DAYS[1]: both days
    return rows, rows["approved"].to_numpy()


DAY_OF = {"fairness_summary": DAYS[0], "fairness_summary_7d": DAYS[1]}


@pytest.mark.parametrize("mart,attribute", [("fairness_summary", "sex"),
                                            ("fairness_summary_7d", "age"),
                                            ("candidate_fairness_summary", "age")])
def test_intervals_match_fairlearn_bootstrap(summaries, mart, attribute):
    rows, _ = sample_of(mart)
    frame = summaries[mart]
    if mart == "candidate_fairness_summary":
        row = frame[(frame["evaluation_role"] == "candidate") & (frame["attribute"] == attribute)]
    else:
        dates = pd.to_datetime(frame["window_date"]).dt.date
        row = frame[(dates == DAY_OF[mart]) & (frame["attribute"] == attribute)]
    assert len(row) == 1
    row = row.iloc[0]
    assert int(row["n_predictions"]) == len(rows)
    assert int(row["n_labeled"]) == int(rows["labelled"].sum())
    assert_close(row, fairlearn_intervals(mart, attribute), summaries["n_boot"])
