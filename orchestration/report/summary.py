"""The summary at the top of the report: production, today's drift, parity verdicts and the
last promotion decision, each a sentence read off one mart."""

from __future__ import annotations

import html

import pandas as pd

from orchestration.report.gate import interval_text, production_sentence
from orchestration.report.marts import Frames, present
from orchestration.report.tables import cell_text


def production_version(frames: Frames) -> str | None:
    versions = present(frames, "model_versions")
    if versions is None:
        return None
    production = versions[versions["is_production"].fillna(False).astype(bool)]
    return None if production.empty else str(production["model_version"].iloc[0])


def _served_by(frame: pd.DataFrame, version: str | None) -> pd.DataFrame:
    """Rows of the production version when it served traffic, else every version's."""
    served = frame[frame["model_version"] == version] if version else frame.iloc[0:0]
    return served if not served.empty else frame


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    dates = pd.to_datetime(frame["window_date"])
    return frame[dates == dates.max()]


def drift_line(frames: Frames, version: str | None) -> tuple[str, str]:
    drift = present(frames, "drift_summary")
    if drift is None:
        return "unknown", "no day in marts.drift_summary yet"
    today = _latest(_served_by(drift, version)).iloc[0]
    features = today["drifted_features"] if pd.notna(today["drifted_features"]) \
        and today["drifted_features"] else "none"
    return (str(today["status"]),
            f"{cell_text(today['window_date'])} ({today['model_version']}): "
            f"{today['drift_share']:.0%} of {today['n_features']} features drifted; "
            f"drifted: {features}")


def parity_lines(frames: Frames, version: str | None) -> list[tuple[str, str]]:
    fairness = present(frames, "fairness_summary")
    if fairness is None:
        return [("unknown", "no day in marts.fairness_summary yet")]
    lines = []
    latest = _latest(_served_by(fairness, version))
    for row in latest.sort_values("attribute").itertuples():
        four_fifths = "passes" if row.passes_four_fifths_rule else "fails"
        odds = "passes" if row.passes_equalized_odds else "fails"
        ratio_ci = interval_text(getattr(row, "demographic_parity_ratio_ci_low", None),
                                 getattr(row, "demographic_parity_ratio_ci_high", None))
        odds_ci = interval_text(getattr(row, "equalized_odds_difference_ci_low", None),
                                getattr(row, "equalized_odds_difference_ci_high", None))
        verdict = "ok" if row.passes_four_fifths_rule and row.passes_equalized_odds else "alert"
        lines.append((verdict, f"{row.attribute} on {cell_text(row.window_date)}: "
                               f"four-fifths {four_fifths} (ratio "
                               f"{cell_text(row.demographic_parity_ratio)}, {ratio_ci}); "
                               f"equalized odds {odds} (difference "
                               f"{cell_text(row.equalized_odds_difference)}, {odds_ci})"))
    return lines


def decision_lines(frames: Frames) -> list[tuple[str, str]]:
    decisions = present(frames, "promotion_decisions")
    if decisions is None:
        return [("none", "no promotion decision yet")]
    last = decisions.sort_values("decided_at").iloc[-1]
    verdict = "ok" if last["decision"] == "promoted" else "alert"
    method = f" ({last['training_method']})" if pd.notna(last.get("training_method")) else ""
    return [(verdict, f"{last['candidate_version']}{method} against "
                      f"{cell_text(last['production_version'])}: "
                      f"{str(last['decision']).upper()} — {last['reasons']}"),
            ("info" if pd.isna(last.get("production_failed_checks")) else "alert",
             production_sentence(last))]


def summary_html(frames: Frames) -> str:
    version = production_version(frames)
    status, drift = drift_line(frames, version)
    items = [("ok" if version else "unknown", "Production version",
              version or "none recorded in marts.model_versions"),
             (status, "Drift today", f"{status}: {drift}")]
    items += [(v, "Parity", text) for v, text in parity_lines(frames, version)]
    decision = decision_lines(frames)
    items += [(decision[0][0], "Last promotion decision", decision[0][1])]
    items += [(v, "Production's own checks", text) for v, text in decision[1:]]
    rows = "".join(f'<li class="status-{html.escape(v)}"><span class="what">{html.escape(w)}'
                   f"</span> {html.escape(t)}</li>" for v, w, t in items)
    return f'<section id="summary"><h2>Summary</h2><ul class="summary">{rows}</ul></section>'
