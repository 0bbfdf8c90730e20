"""Every promotion decision with each check's number, interval and bound, candidate and
production side by side (marts.promotion_decisions and marts.promotion_gate_checks)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orchestration.report.charts import CURRENT, FAIL, REFERENCE, figure_html
from orchestration.report.tables import cell_text, sortable_table

NOT_AVAILABLE = "interval not available"
NO_PRODUCTION_COLUMNS = ("production's own checks are not available: this warehouse's "
                         "marts.promotion_decisions has no production_failed_checks")


def interval_text(low, high) -> str:
    """`[low, high]`, or says that the mart holds no interval for this number."""
    if pd.isna(low) or pd.isna(high):
        return NOT_AVAILABLE
    return f"[{low:.4g}, {high:.4g}]"


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of the mart, or an empty one when this warehouse's mart predates it."""
    return frame[name] if name in frame.columns else pd.Series(pd.NA, index=frame.index)


def checks_table(checks: pd.DataFrame) -> pd.DataFrame:
    """The checks of one evaluation as the report shows them (the mart's own numbers)."""
    return pd.DataFrame({
        "check": checks["check_name"],
        "candidate observed": checks["observed"],
        "candidate interval": [interval_text(lo, hi) for lo, hi in
                               zip(_column(checks, "ci_low"), _column(checks, "ci_high"),
                                   strict=True)],
        "bound": checks["bound"],
        "assessable": checks["is_assessable"],
        "passed": checks["passed"],
        "production observed": _column(checks, "production_observed"),
        "production interval": [interval_text(lo, hi) for lo, hi in
                                zip(_column(checks, "production_ci_low"),
                                    _column(checks, "production_ci_high"), strict=True)],
        "production passed": _column(checks, "production_passed"),
        "detail": checks["detail"],
        "groups too small": _column(checks, "groups_too_small"),
        "production detail": _column(checks, "production_detail"),
    })


def _error(observed: pd.Series, low: pd.Series, high: pd.Series) -> dict:
    return {"type": "data", "symmetric": False, "array": (high - observed).tolist(),
            "arrayminus": (observed - low).tolist()}


def checks_chart(checks: pd.DataFrame, div_id: str) -> str:
    """One panel per check: the candidate's and production's number with their intervals,
    and the bound as a dashed line."""
    checks = checks.reset_index(drop=True)
    fig = make_subplots(rows=1, cols=len(checks), subplot_titles=list(checks["check_name"]))
    for i, check in checks.iterrows():
        sides = [("candidate", check["observed"], check.get("ci_low"), check.get("ci_high"),
                  FAIL if not check["passed"] else CURRENT)]
        if "production_observed" in checks.columns:
            sides.append(("production", check["production_observed"],
                          check.get("production_ci_low"), check.get("production_ci_high"),
                          REFERENCE))
        for name, value, low, high, colour in sides:
            if pd.isna(value):
                continue
            error = None if pd.isna(low) or pd.isna(high) else _error(
                pd.Series([value]), pd.Series([low]), pd.Series([high]))
            fig.add_trace(go.Scatter(x=[name], y=[value], error_y=error, mode="markers",
                                     marker={"color": colour, "size": 10}, showlegend=False,
                                     hovertemplate=f"{name}: %{{y:.4g}}<extra></extra>"),
                          row=1, col=i + 1)
        if pd.notna(check["bound"]):
            fig.add_hline(y=check["bound"], line_dash="dash", line_color=FAIL, row=1, col=i + 1)
    return figure_html(fig, div_id, height=280)


def _decision_heading(decision: pd.Series) -> str:
    method = decision.get("training_method")
    method = f" ({method})" if pd.notna(method) else ""
    answers = decision.get("answers_version")
    answers = f", answering blocked {answers}" if pd.notna(answers) else ""
    return (f"{decision['candidate_version']}{method} against production "
            f"{cell_text(decision['production_version'])}{answers}: "
            f"{str(decision['decision']).upper()} ({cell_text(decision['decided_at'])})")


def production_sentence(decision: pd.Series) -> str:
    """What the decision says of production itself: its failed checks and the way out."""
    if "production_failed_checks" not in decision.index:
        return NO_PRODUCTION_COLUMNS
    failed = decision.get("production_failed_checks")
    if pd.isna(failed):
        return f"production {cell_text(decision['production_version'])} passes every check"
    way_out = decision.get("production_way_out")
    return (f"production {cell_text(decision['production_version'])} fails: {failed}; "
            f"way out: {cell_text(way_out)}")


def gate_section(decisions: pd.DataFrame | None, checks: pd.DataFrame | None) -> str:
    """A block per evaluation, newest first: the decision, its reasons, the checks."""
    if decisions is None and checks is None:
        return "<p class='empty'><em>No promotion has been evaluated yet.</em></p>"
    evaluations = []
    if decisions is not None:
        ordered = decisions.sort_values("decided_at", ascending=False)
        evaluations = [(row["evaluation_id"], row) for _, row in ordered.iterrows()]
    if checks is not None:
        known = {e for e, _ in evaluations}
        evaluations += [(e, None) for e in checks["evaluation_id"].unique() if e not in known]
    parts = []
    for n, (evaluation, decision) in enumerate(evaluations, start=1):
        these = None if checks is None else checks[checks["evaluation_id"] == evaluation]
        if decision is not None:
            parts.append(f"<h3>{html.escape(_decision_heading(decision))}</h3>"
                         f"<p><strong>Why:</strong> {html.escape(str(decision['reasons']))}</p>"
                         f"<p>{html.escape(production_sentence(decision))}</p>")
        else:
            parts.append(f"<h3>{html.escape(str(evaluation))}: checks evaluated, no decision "
                         "recorded in marts.promotion_decisions</h3>")
        if these is not None and not these.empty:
            parts.append(checks_chart(these, f"chart-gate-{n}"))
            parts.append(sortable_table(checks_table(these), caption=f"checks of {evaluation}"))
    return "".join(parts)
