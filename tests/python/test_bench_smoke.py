"""The bench's floors and agreement checks on tiny data against hand-worked answers, so a wrong
floor or a check that lets a disagreement through fails here (the main environment; no test
is skipped). Evidently and Great Expectations are installed only in the bench's own venv
(.venv-bench), where the bench itself stops on any disagreement with them (DisagreementError).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench import drift, parity, validation
from bench.data import DEFECTS, inject_defects
from bench.report import write_readme
from orchestration.warehouse import default_project_dir

PROJECT_DIR = str(default_project_dir())
DAYS = [dt.date(2026, 1, 1), dt.date(2026, 1, 2)]


@pytest.fixture
def drift_inputs() -> drift.DriftInputs:
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"age": rng.normal(40, 10, 80), "duration": rng.normal(20, 5, 80)})
    current = {DAYS[0]: pd.DataFrame({"age": rng.normal(40, 10, 60),
                                      "duration": rng.normal(20, 5, 60)}),
               DAYS[1]: pd.DataFrame({"age": rng.normal(55, 10, 60),
                                      "duration": [np.nan] * 5 + list(rng.normal(20, 5, 55))})}
    return drift.DriftInputs(["age", "duration"], reference, current)


def ecdf_ks_statistic(reference: np.ndarray, current: np.ndarray) -> float:
    """Two-sample KS statistic written out: the largest gap between the two empirical CDFs,
    evaluated at every observed value (an implementation independent of scipy)."""
    reference, current = reference[~np.isnan(reference)], current[~np.isnan(current)]
    points = np.concatenate([reference, current])
    gaps = (np.searchsorted(np.sort(reference), points, side="right") / len(reference)
            - np.searchsorted(np.sort(current), points, side="right") / len(current))
    return float(np.abs(gaps).max())


def independent_rows(inputs: drift.DriftInputs) -> pd.DataFrame:
    """Day x feature rows: the ECDF statistic above, the p-value from scipy's exact method."""
    rows = []
    for day, frame in inputs.current_by_day.items():
        for name in inputs.features:
            ref = inputs.reference[name].to_numpy(dtype=float)
            cur = frame[name].to_numpy(dtype=float)
            pvalue = stats.ks_2samp(ref[~np.isnan(ref)], cur[~np.isnan(cur)],
                                    method="exact").pvalue
            rows.append({"window_date": day, "feature_name": name,
                         "statistic": ecdf_ks_statistic(ref, cur), "pvalue": pvalue})
    return pd.DataFrame(rows)


def test_ecdf_statistic_on_a_hand_worked_case():
    # ECDFs of [0, 1, 2, 3] and [2, 3, 4, 5] differ most at 1 (0.5 vs 0) and at 3 (1 vs 0.5)
    assert ecdf_ks_statistic(np.array([0.0, 1, 2, 3]), np.array([2.0, 3, 4, 5])) == 0.5


def test_drift_floor_agrees_with_an_independent_ks_and_a_disagreement_stops(drift_inputs):
    ours, floor = independent_rows(drift_inputs), drift.scipy_ks(drift_inputs)
    summary = drift.check_drift_agreement(ours, floor, None, alpha=0.01, effect_size=0.1)
    assert summary["n_tests"] == 4 and summary["max_pvalue_gap_scipy"] <= drift.TOLERANCE
    assert summary["n_p_below_alpha"] >= 1  # day 2's age moved by 1.5 standard deviations
    broken = floor.assign(pvalue=floor["pvalue"] + 1e-6)
    with pytest.raises(drift.DisagreementError, match="pvalue"):
        drift.check_drift_agreement(ours, broken, None, alpha=0.01, effect_size=0.1)
    with pytest.raises(drift.DisagreementError, match="different day x feature"):
        drift.check_drift_agreement(ours, floor.iloc[1:], None, alpha=0.01, effect_size=0.1)


def defect_frame() -> pd.DataFrame:
    # 4 rows; failing by hand: age 150 (between), housing "castle" (in_set), sex null (not_null),
    # credit_amount -1 (between); saving_accounts null is allowed (nullable).
    return pd.DataFrame({
        "sex": ["male", None, "female", "male"], "age": [30.0, 150.0, 41.0, 25.0],
        "job": [1.0, 2.0, 0.0, 3.0], "housing": ["own", "castle", "rent", "free"],
        "saving_accounts": [None, "little", "rich", "moderate"],
        "checking_account": ["little", "rich", "moderate", "not_known"],
        "credit_amount": [1000.0, 200.0, -1.0, 5000.0], "duration": [12.0, 24.0, 6.0, 48.0],
        "purpose": ["car", "business", "repairs", "car"]})


def hand_counts(rules: list[dict]) -> pd.DataFrame:
    failing = {("age", "between"): 1, ("housing", "in_set"): 1, ("sex", "not_null"): 1,
               ("credit_amount", "between"): 1}
    return pd.DataFrame([{"feature_name": r["feature_name"], "rule": r["rule"],
                          "n_failing": failing.get((r["feature_name"], r["rule"]), 0)}
                         for r in rules])


def rule_failures(frame: pd.DataFrame, rules: list[dict]) -> pd.DataFrame:
    """Failing rows per rule, each rule applied to the frame as written in the rule dict."""
    rows = []
    for rule in rules:
        values = frame[rule["feature_name"]]
        if rule["rule"] == "not_null":
            failing = values.isna()
        elif rule["rule"] == "between":
            failing = values.notna() & ~values.between(rule["min_value"], rule["max_value"])
        else:
            failing = values.notna() & ~values.isin(rule["value_set"])
        rows.append({"feature_name": rule["feature_name"], "rule": rule["rule"],
                     "n_failing": int(failing.sum())})
    return pd.DataFrame(rows)


def test_validation_rules_and_agreement():
    rules = validation.schema_rules(PROJECT_DIR)
    kinds = {(r["feature_name"], r["rule"]) for r in rules}
    assert ("saving_accounts", "not_null") not in kinds  # nullable in feature_schema.csv
    assert {("age", "between"), ("purpose", "in_set"), ("sex", "not_null")} <= kinds
    counts = hand_counts(rules)
    # the rules as the bench reads them from the seeds find the hand-worked failures
    summary = validation.check_validation_agreement(counts, rule_failures(defect_frame(), rules),
                                                    rules)
    assert summary["n_failing_rows"] == 4
    off = counts.assign(n_failing=counts["n_failing"] + (counts["rule"] == "in_set"))
    with pytest.raises(drift.DisagreementError, match="failing-row counts differ"):
        validation.check_validation_agreement(counts, off, rules)


def test_parity_bands_and_fairlearn_agreement():
    bands = pd.read_csv(f"{PROJECT_DIR}/seeds/sensitive_groups.csv")
    ages = pd.Series(["24", "25", "60", None, "150"])
    assert list(parity.band_of(ages, bands[bands["attribute"] == "age"])) == [
        "under_25", "25_39", "60_and_over", "unknown", "60_and_over"]
    # Day 1: women approved 1 of 2, men 2 of 2 -> selection rates 0.5 and 1.0, DPD 0.5.
    frame = pd.DataFrame({"window_date": [DAYS[0]] * 4, "sex": ["female", "female", "male", "male"],
                          "approved": [True, False, True, True], "repaid": [1.0, 1.0, 1.0, 0.0]})
    groups, summary = parity.fairlearn_parity(frame, ["sex"], min_group_size=1)
    rates = groups.set_index("group_name")
    assert rates.loc["female", "selection_rate"] == 0.5 and rates.loc["male", "selection_rate"] == 1
    assert np.isnan(rates.loc["female", "false_positive_rate"])  # no defaulted woman: undefined
    assert summary["demographic_parity_difference"].iloc[0] == 0.5
    # the same day by hand: TPR = P(approved | repaid): women 1/2, men 2/2; FPR = P(approved |
    # defaulted): women undefined (none defaulted), men 1/1. fairlearn's
    # equalized_odds_difference takes the undefined FPR as 0 (its zero_division default), so the
    # FPR spread is 1 - 0 and EOD = max(TPR spread 0.5, FPR spread 1) = 1.
    by_hand = (pd.DataFrame({"window_date": [DAYS[0]] * 2, "attribute": ["sex"] * 2,
                             "group_name": ["female", "male"], "n_predictions": [2, 2],
                             "selection_rate": [0.5, 1.0], "true_positive_rate": [0.5, 1.0],
                             "false_positive_rate": [np.nan, 1.0]}),
               pd.DataFrame({"window_date": [DAYS[0]], "attribute": ["sex"],
                             "demographic_parity_difference": [0.5],
                             "equalized_odds_difference": [1.0]}))
    assert parity.check_parity_agreement(by_hand, (groups, summary))["max_group_gap"] == 0
    moved = by_hand[0].assign(selection_rate=by_hand[0]["selection_rate"] + 1e-6)
    with pytest.raises(drift.DisagreementError, match="selection_rate"):
        parity.check_parity_agreement((moved, by_hand[1]), (groups, summary))


def test_inject_defects_changes_exactly_the_rate_of_rows():
    features = [{"age": 30, "housing": "own", "sex": "male", "job": 1, "duration": 12,
                 "credit_amount": 100.0, "purpose": "car"} for _ in range(700)]
    frame = pd.DataFrame({"prediction_id": [f"p{i}" for i in range(700)], "features": features})
    changed, n_bad = inject_defects(frame, rate=0.01, seed=1)
    differs = [a != b for a, b in zip(frame["features"], changed["features"], strict=True)]
    assert n_bad == 7 and sum(differs) == 7  # 1 % of 700, one of each of the 7 defects
    assert {k for a, b in zip(frame["features"], changed["features"], strict=True)
            for k in a if a[k] != b[k]} == {name for name, _ in DEFECTS}


def test_readme_renders_from_results(tmp_path):
    from bench.pipeline_report import summary

    side = {"warmup": 1.0, "runs": [1.0, 2.0, 3.0], "median": 2.0}
    machine = {"cores": 2, "cpu_model": "cpu", "memory_gib": 23.4, "python": "3.11",
               "versions": {"scipy": "1"}, "load_average_at_start": [1.0, 1, 1]}
    result = {"rows": 1000, "started_at": "2026-01-01T00:00:00+00:00", "machine": machine,
              "drift": {"sides": {"vigie": side, "scipy": side | {"median": 1.0}},
                        "ratios": {"scipy": 0.5}, "agreement": {"n_tests": 4}}}
    (tmp_path / "rows-1000.json").write_text(json.dumps(result))
    for rows, seconds, mib in ((1000, 2.0, 300.0), (10000, 5.0, 450.0)):
        stages = {"build": {"wall_seconds": seconds, "peak_rss_mib": mib, "rows": rows,
                            "drift_tests": 3}}
        (tmp_path / f"pipeline-{rows}.json").write_text(json.dumps(
            {"rows": rows, "days": 2, "started_at": "2026-01-01T00:00:00+00:00",
             "commit": "abc", "machine": machine, "stages": stages,
             "summary": summary(stages)}))
    readme = tmp_path / "README.md"
    write_readme(tmp_path, readme)
    text = readme.read_text()
    assert "| 1,000 | KS drift" in text and "**0.50**" in text
    assert "| build | 5.0 | 450 | 10,000 |  | drift tests computed: 3 |" in text
    assert "| build | 2.0 / 300 | 5.0 / 450 | 2.5 / 1.5 |" in text  # growth: 5 / 2, 450 / 300


def test_drift_profile_times_the_same_arrays_and_stops_on_a_disagreement(monkeypatch):
    from bench import drift_profile
    from models_ml.drift import KsResult

    rng = np.random.default_rng(5)
    arrays = [(np.append(rng.normal(0, 1, 50), np.nan), rng.normal(0.5, 1, 40))
              for _ in range(3)]
    result = drift_profile.same_arrays(arrays)
    assert result["n_tests"] == 3 and result["max_gap"] == 0.0
    assert result["vigie_ks_s"] > 0 and result["scipy_ks_s"] > 0

    def off_by_a_little(reference, current):
        ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
        exact = stats.ks_2samp(ref, cur)
        return KsResult(float(exact.statistic), float(exact.pvalue) + 1e-9, ref.size, cur.size)

    monkeypatch.setattr(drift_profile, "ks_test", off_by_a_little)
    with pytest.raises(drift.DisagreementError):
        drift_profile.same_arrays(arrays)


def test_spark_build_reads_node_times_from_dbt_json_log(tmp_path):
    from bench.spark_build import node_times

    def event(name: str, node: str, seconds: float) -> str:
        return json.dumps({"info": {"name": name},
                           "data": {"execution_time": seconds,
                                    "node_info": {"node_name": node}}})

    # dbt rotates its log: the older part is dbt.log.1, and both count
    (tmp_path / "dbt.log.1").write_text("\n".join([
        "not json",
        event("LogSeedResult", "thresholds", 0.5),
        event("LogModelResult", "int_a", 2.0),
    ]))
    (tmp_path / "dbt.log").write_text("\n".join([
        event("LogModelResult", "int_b", 1.0),
        event("LogModelResult", "int_a", 3.0),  # a second dbt invocation of the build
        event("LogTestResult", "not_null_x", 0.25),
        event("MainReportVersion", "", 9.0),
    ]))
    (tmp_path / "other.log").write_text(event("LogModelResult", "int_c", 7.0))
    times = node_times(tmp_path)
    assert times["seconds_by_type"] == {"seeds": 0.5, "models": 6.0, "tests": 0.25}
    assert list(times["model_seconds"].items()) == [("int_a", 5.0), ("int_b", 1.0)]


def test_run_measured_counts_a_child_the_command_never_waits_for(tmp_path):
    """A local Spark's JVM is a child its Python leaves unwaited: ru_maxrss misses it, the
    sampled process tree does not. The child here holds ~200 MiB; its parent holds little."""
    from bench.timing import run_measured

    child = ("import time; block = bytearray(200 * 2**20); "
             "block[::4096] = b'x' * len(block[::4096]); time.sleep(3)")
    parent = ("import subprocess, sys, time; "
              f"subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(2.5)")
    measured = run_measured([sys.executable, "-c", parent])
    assert measured["exit_code"] == 0
    assert measured["peak_rss_mib"] < 150
    assert measured["peak_tree_rss_mib"] > 200
