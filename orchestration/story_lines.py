"""The lines `vigie run` prints, from the marts it read: drift by day, production's parity
before and after drift began, each promotion decision with its gate checks (point estimate,
interval, bound, and production's number on the same rows), and production's way out.

Nothing is computed here but layout: every number is a column of a mart.
"""

from __future__ import annotations

import math

import pandas as pd

FAIRNESS_CHECK_NAMES = ("four_fifths", "equalized_odds", "sensitive_importance")


def number(value: object, digits: int = 3) -> str:
    """A mart's number as text; 'n/a' when null or not finite."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return f"{value:.{digits}f}" if math.isfinite(value) else "n/a"


def text(value: object) -> str | None:
    """A mart's text; None when null (None, NaN or NA as pandas reads it)."""
    return None if value is None or pd.isna(value) else str(value)


def interval(low: object, high: object) -> str:
    """' [low, high]' when the mart has an interval for the number, else nothing."""
    if number(low) == "n/a" or number(high) == "n/a":
        return ""
    return f" [{number(low)}, {number(high)}]"


def drift_periods(days: pd.DataFrame) -> list[str]:
    """Consecutive days with the same status, as one line each with the largest drift share."""
    lines, start = [], 0
    rows = days.reset_index(drop=True)
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows.loc[i, "status"] != rows.loc[start, "status"]:
            block = rows.iloc[start:i]
            worst = block.loc[block["drift_share"].idxmax()]
            features = f": {worst['drifted_features']}" if worst["drifted_features"] else ""
            lines.append(f"{block['window_date'].iloc[0]} .. {block['window_date'].iloc[-1]} "
                         f"{rows.loc[start, 'status']} (max drift share "
                         f"{worst['drift_share']:.2f}{features})")
            start = i
    return lines


def first_alert_day(days: pd.DataFrame) -> object | None:
    """The first day whose drift status is alert (None when no day is)."""
    alert = days.loc[days["status"] == "alert", "window_date"]
    return alert.min() if not alert.empty else None


def parity_lines(parity: pd.DataFrame, split_day: object | None, bound: float) -> list[str]:
    """Production's mean daily four-fifths ratio per attribute, before and from split_day.

    parity: marts.fairness_summary rows (window_date, attribute, demographic_parity_ratio)."""
    if parity.empty:
        return ["parity of production: no day with two comparable groups"]
    lines = [f"parity of production (mean daily four-fifths ratio, bound {bound:.2f}):"]
    for attribute, rows in parity.groupby("attribute", sort=True):
        ratio = rows["demographic_parity_ratio"].astype(float)
        if split_day is None:
            lines.append(f"  {attribute}: {number(ratio.mean(), 2)} over {len(rows)} days")
            continue
        before = ratio[rows["window_date"] < split_day]
        after = ratio[rows["window_date"] >= split_day]
        failing = int((after < bound).sum())
        lines.append(f"  {attribute}: {number(before.mean(), 2)} before {split_day}, "
                     f"{number(after.mean(), 2)} from it ({failing} of {len(after)} days "
                     f"under {bound:.2f})")
    return lines


# The checks of marts.fairness_alerts the story names, in the order it names them.
ALERT_CHECKS = {"estimated_equalized_odds": "equalized odds estimated without labels",
                "equalized_odds": "equalized odds on labels",
                "four_fifths": "four-fifths ratio"}


def fairness_alert_lines(alerts: pd.DataFrame) -> list[str]:
    """Per attribute and check of production's day windows: the first day the whole interval
    (band) was past the bound, and how many days it was.

    alerts: marts.fairness_alerts rows (window_date, attribute, check_name), day windows."""
    if alerts.empty:
        return ["fairness alerts of production: none (no gap wholly past its bound)"]
    lines = ["fairness alerts of production (whole interval past the bound, first day):"]
    for attribute, rows in alerts.groupby("attribute", sort=True):
        parts = [f"{label} {rows.loc[rows['check_name'] == check, 'window_date'].min()} "
                 f"({int((rows['check_name'] == check).sum())} days)"
                 for check, label in ALERT_CHECKS.items() if (rows["check_name"] == check).any()]
        lines.append(f"  {attribute}: " + "; ".join(parts))
    return lines


def alert_lines(alerts: pd.DataFrame) -> list[str]:
    """marts.alerts in one line per kind: how many keys (what the webhook would send, the latest
    of each key) and alerts, and the first day.

    alerts: marts.alerts rows (alert_kind, alert_key, window_date)."""
    if alerts.empty:
        return ["alerts (marts.alerts): none"]
    lines = ["alerts (marts.alerts; `vigie alerts` lists them, `vigie alerts --send` posts the "
             "latest of each key to $VIGIE_ALERT_WEBHOOK_URL):"]
    for kind, rows in alerts.groupby("alert_kind", sort=True):
        lines.append(f"  {kind}: {rows['alert_key'].nunique()} key(s), {len(rows)} alert(s) "
                     f"from {rows['window_date'].min()}")
    return lines


def check_line(check: dict) -> str:
    """One gate check: verdict, point [interval] vs bound, production on the same rows."""
    verdict = "passed" if check.get("passed") else (
        "failed" if check.get("is_assessable") else "not assessable")
    text = (f"    {check['check_name']:<22} {verdict:<14} "
            f"{number(check.get('observed'))}{interval(check.get('ci_low'), check.get('ci_high'))}"
            f" bound {number(check.get('bound'))}")
    if "production_observed" in check and check["check_name"] in FAIRNESS_CHECK_NAMES:
        production_verdict = ("passes" if check.get("production_passed") else "fails")
        text += (f"; production {number(check.get('production_observed'))}"
                 f"{interval(check.get('production_ci_low'), check.get('production_ci_high'))}"
                 f" {production_verdict}")
    return text


def decision_lines(decision: dict, checks: list[dict], registration: dict) -> list[str]:
    """A decision of marts.promotion_decisions with its checks (marts.promotion_gate_checks)
    and how its candidate was trained (its registration: training_method, answers_version)."""
    method = text(registration.get("training_method")) or "training method not recorded"
    answers = text(registration.get("answers_version"))
    label = f"{method}, answers {answers}" if answers else method
    lines = [f"promotion decision: candidate {decision['candidate_version']} ({label}) vs "
             f"production {decision['production_version']}: {str(decision['decision']).upper()} "
             f"(candidate AUC {number(decision['candidate_auc'])}, production AUC "
             f"{number(decision['production_auc'])}, delta "
             f"{number(decision['auc_delta'])} for {number(decision['promotion_delta'], 2)})"]
    lines += [check_line(check) for check in checks]
    lines.append(f"  reasons: {decision['reasons']}")
    if text(decision.get("production_failed_checks")):
        lines.append(f"  production {decision['production_version']} itself fails "
                     f"{decision['production_failed_checks']} on these rows; way out: "
                     f"{text(decision.get('production_way_out')) or 'none named'}")
    return lines
