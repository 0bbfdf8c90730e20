"""The lines `vigie run` prints, from hand-made mart rows: layout only, every number copied from
its column (rounded), intervals shown when the mart has them, production's failure named."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from orchestration.story_lines import (
    alert_lines,
    check_line,
    decision_lines,
    drift_periods,
    fairness_alert_lines,
    first_alert_day,
    interval,
    number,
    parity_lines,
)

DAY = [dt.date(2024, 1, d) for d in range(1, 7)]


def test_numbers_and_intervals_say_na_when_missing():
    assert number(0.12345) == "0.123" and number(0.5, 2) == "0.50"
    assert number(None) == number(float("nan")) == number(np.inf) == number("x") == "n/a"
    assert interval(0.1, 0.2) == " [0.100, 0.200]"
    assert interval(None, 0.2) == interval(0.1, float("nan")) == ""


def test_drift_periods_and_the_first_alert_day():
    days = pd.DataFrame({"window_date": DAY,
                         "drift_share": [0.0, 0.1, 0.4, 0.5, 0.3, 0.0],
                         "status": ["ok", "ok", "alert", "alert", "warning", "ok"],
                         "drifted_features": ["", "", "age", "age, sex", "sex", ""]})
    assert drift_periods(days) == [
        "2024-01-01 .. 2024-01-02 ok (max drift share 0.10)",
        "2024-01-03 .. 2024-01-04 alert (max drift share 0.50: age, sex)",
        "2024-01-05 .. 2024-01-05 warning (max drift share 0.30: sex)",
        "2024-01-06 .. 2024-01-06 ok (max drift share 0.00)"]
    assert first_alert_day(days) == DAY[2]
    assert first_alert_day(days.assign(status="ok")) is None


def test_parity_before_and_from_the_split_day():
    parity = pd.DataFrame({"window_date": DAY * 2, "attribute": ["age"] * 6 + ["sex"] * 6,
                           "demographic_parity_ratio": [0.9, 1.0, 0.6, 0.7, 0.85, 0.5,
                                                        0.95, 0.95, 0.4, 0.5, 0.6, 0.7]})
    lines = parity_lines(parity, DAY[2], 0.8)
    # age: (0.9 + 1.0) / 2 = 0.95 before; (0.6 + 0.7 + 0.85 + 0.5) / 4 = 0.6625 from day 3
    assert lines == ["parity of production (mean daily four-fifths ratio, bound 0.80):",
                     "  age: 0.95 before 2024-01-03, 0.66 from it (3 of 4 days under 0.80)",
                     "  sex: 0.95 before 2024-01-03, 0.55 from it (4 of 4 days under 0.80)"]
    assert parity_lines(parity, None, 0.8)[1] == "  age: 0.76 over 6 days"
    assert parity_lines(parity.iloc[:0], None, 0.8) == [
        "parity of production: no day with two comparable groups"]


CHECK = {"check_name": "four_fifths", "passed": False, "is_assessable": True, "observed": 0.55,
         "bound": 0.8, "ci_low": 0.5, "ci_high": 0.61, "production_observed": 0.83,
         "production_ci_low": 0.78, "production_ci_high": 0.88, "production_passed": True}


def test_a_check_shows_point_interval_bound_and_production():
    assert check_line(CHECK) == ("    four_fifths            failed         0.550 [0.500, 0.610]"
                                 " bound 0.800; production 0.830 [0.780, 0.880] passes")
    bare = {"check_name": "auc_margin", "passed": True, "is_assessable": True,
            "observed": 0.02, "bound": 0.01}
    assert check_line(bare) == "    auc_margin             passed         0.020 bound 0.010"
    unknown = {**bare, "passed": False, "is_assessable": False, "observed": None}
    assert "not assessable n/a bound 0.010" in check_line(unknown)


def test_a_decision_names_its_method_the_version_it_answers_and_production_s_way_out():
    decision = {"candidate_version": "v3", "production_version": "v1", "decision": "skipped",
                "candidate_auc": 0.7, "production_auc": 0.695, "auc_delta": 0.005,
                "promotion_delta": 0.01, "reasons": "AUC margin 0.005 < 0.01",
                "production_failed_checks": "four_fifths (sex)",
                "production_way_out": "roll back to v0"}
    mitigated = {"training_method": "mitigated", "answers_version": "v2"}
    lines = decision_lines(decision, [CHECK], mitigated)
    assert lines[0] == ("promotion decision: candidate v3 (mitigated, answers v2) vs production "
                        "v1: SKIPPED (candidate AUC 0.700, production AUC 0.695, delta 0.005 "
                        "for 0.01)")
    assert lines[1] == check_line(CHECK)
    assert lines[2] == "  reasons: AUC margin 0.005 < 0.01"
    assert lines[3] == ("  production v1 itself fails four_fifths (sex) on these rows; way out: "
                        "roll back to v0")
    passing = {**decision, "production_failed_checks": None}
    naive = decision_lines(passing, [], {"training_method": "naive", "answers_version": None})
    assert "candidate v3 (naive) vs" in naive[0] and len(naive) == 2
    assert "(training method not recorded)" in decision_lines(passing, [], {})[0]
    # nulls as pandas reads them
    assert "(naive) vs" in decision_lines({**passing, "production_failed_checks": np.nan}, [],
                                          {"training_method": "naive",
                                           "answers_version": np.nan})[0]


def test_fairness_alerts_first_day_and_count_per_check():
    alerts = pd.DataFrame({
        "window_date": [DAY[1], DAY[2], DAY[3], DAY[4], DAY[5], DAY[3]],
        "attribute": ["sex"] * 5 + ["age"],
        "check_name": ["estimated_equalized_odds", "estimated_equalized_odds",
                       "estimated_equalized_odds", "equalized_odds", "four_fifths",
                       "four_fifths"]})
    assert fairness_alert_lines(alerts) == [
        "fairness alerts of production (whole interval past the bound, first day):",
        "  age: four-fifths ratio 2024-01-04 (1 days)",
        "  sex: equalized odds estimated without labels 2024-01-02 (3 days); equalized odds on "
        "labels 2024-01-05 (1 days); four-fifths ratio 2024-01-06 (1 days)"]
    assert fairness_alert_lines(alerts.iloc[:0]) == [
        "fairness alerts of production: none (no gap wholly past its bound)"]


def test_alert_lines_count_keys_and_alerts_per_kind():
    alerts = pd.DataFrame({
        "alert_kind": ["kpi", "kpi", "kpi", "fairness"],
        "alert_key": ["kpi|a", "kpi|a", "kpi|b", "fairness|sex"],
        "window_date": ["2026-01-03", "2026-01-02", "2026-01-05", "2026-01-04"]})
    lines = alert_lines(alerts)
    assert lines[1:] == ["  fairness: 1 key(s), 1 alert(s) from 2026-01-04",
                         "  kpi: 2 key(s), 3 alert(s) from 2026-01-02"]
    assert alert_lines(alerts.iloc[:0]) == ["alerts (marts.alerts): none"]
