"""The report page: the summary, then drift, features, parity, performance, KPI alerts,
schema conformance and the promotion decisions, in one HTML file that opens offline
(plotly.js inlined once, the table script inlined, nothing fetched)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from plotly.offline import get_plotlyjs

import orchestration.report.charts as charts
from orchestration.report.audit import audit_body
from orchestration.report.gate import gate_section
from orchestration.report.marts import Frames, present, read_marts
from orchestration.report.summary import summary_html
from orchestration.report.tables import TABLE_SCRIPT, sortable_table
from orchestration.warehouse import Warehouse

NO_INTERVALS = ("interval not available: this warehouse's marts.fairness_summary has no "
                "bootstrap interval columns")
NO_BOUND = ("four-fifths bound not drawn: it is read from marts.promotion_gate_checks, "
            "where no gate has run yet; each point is coloured by the day's verdict")
FEATURE_DRIFT_COLUMNS = ["window_date", "model_version", "feature_name", "feature_type",
                         "drift_test", "psi", "ks_statistic", "ks_pvalue", "chi_square_pvalue",
                         "cramers_v", "pvalue_adjusted", "wasserstein_normalised",
                         "jensenshannon", "hellinger", "is_drifted", "drift_rule",
                         "drifted_days_in_a_row", "is_drift_alert"]
STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#12355b;color:#fff;padding:1em 2em}header a{color:#cde;margin-right:1em}
main{max-width:1200px;margin:0 auto;padding:0 2em 3em}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:1em 1.5em;
margin:1.5em 0}
ul.summary{list-style:none;padding:0}ul.summary li{padding:.4em .6em;margin:.3em 0;
border-left:6px solid #999;background:#f5f5f5}
.status-ok{border-color:#2ca02c!important}.status-warning{border-color:#ff7f0e!important}
.status-alert{border-color:#d62728!important}.what{font-weight:600;margin-right:.5em}
.table-scroll{max-height:420px;overflow:auto;border:1px solid #eee}
table.sortable{border-collapse:collapse;font-size:12px;width:100%}
table.sortable th{position:sticky;top:0;background:#eef2f7;cursor:pointer;text-align:left}
table.sortable td,table.sortable th{padding:3px 8px;border-bottom:1px solid #eee}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
.table-tools{margin:.8em 0 .3em}.count{color:#666;font-size:12px}.note{color:#8a4b00}
"""
SECTIONS = (("summary", "Summary"), ("drift", "Drift"), ("features", "Features"),
            ("parity", "Parity"), ("performance", "Performance"), ("kpis", "KPI alerts"),
            ("conformance", "Schema conformance"), ("promotion", "Promotion decisions"),
            ("audit", "Audit"))


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{body}</section>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def drift_body(frames: Frames) -> str:
    summary, drift = present(frames, "drift_summary"), present(frames, "feature_drift")
    parts = [charts.drift_share_chart(summary)] if summary is not None else []
    if drift is not None:
        parts.append(charts.drift_heatmap(drift))
    columns = None if drift is None else drift[[c for c in FEATURE_DRIFT_COLUMNS
                                                if c in drift.columns]].sort_values(
        ["window_date", "feature_name"])
    parts.append(sortable_table(columns, caption="feature drift by day"))
    multivariate = present(frames, "multivariate_drift")
    if multivariate is not None:
        parts.append(charts.multivariate_chart(multivariate))
    parts.append(sortable_table(multivariate, caption="multivariate drift by day "
                                                      "(marts.multivariate_drift)"))
    return "".join(parts)


def features_body(frames: Frames) -> str:
    drift = present(frames, "feature_drift")
    if drift is None:
        return _note("no day in marts.feature_drift yet")
    distributions = present(frames, "feature_distributions")
    drifted_days = drift.groupby("feature_name")["is_drifted"].sum()
    parts = []
    for n, feature in enumerate(drifted_days.sort_values(ascending=False, kind="stable").index):
        bins = None if distributions is None else \
            distributions[distributions["feature_name"] == feature]
        parts.append(charts.feature_chart(feature, bins, drift[drift["feature_name"] == feature],
                                          f"chart-feature-{n}"))
    return "".join(parts)


def four_fifths_bound(frames: Frames) -> float | None:
    checks = present(frames, "promotion_gate_checks")
    if checks is None:
        return None
    bounds = checks.loc[checks["check_name"] == "four_fifths", "bound"].dropna()
    return None if bounds.empty else float(bounds.iloc[-1])


def parity_body(frames: Frames) -> str:
    fairness, parity = present(frames, "fairness_summary"), present(frames, "group_parity")
    if fairness is None:
        return _note("no day in marts.fairness_summary yet")
    bound = four_fifths_bound(frames)
    parts = [] if bound is not None else [_note(NO_BOUND)]
    intervals = True
    for n, (attribute, rows) in enumerate(fairness.groupby("attribute")):
        groups = None if parity is None else parity[parity["attribute"] == attribute]
        chart, has_intervals = charts.parity_chart(attribute, rows, groups, bound,
                                                   f"chart-parity-{n}")
        parts.append(chart)
        intervals = intervals and has_intervals
    if not intervals:
        parts.insert(0, _note(NO_INTERVALS))
    alerts = present(frames, "fairness_alerts")
    parts.append(sortable_table(alerts, caption="fairness alerts: the whole interval past "
                                                "its bound (marts.fairness_alerts)"))
    parts.append(sortable_table(fairness, caption="fairness summary by day"))
    return "".join(parts)


def performance_body(frames: Frames) -> str:
    performance = present(frames, "model_performance")
    chart = charts.auc_chart(performance) if performance is not None else ""
    estimates = present(frames, "performance_estimates")
    estimated = charts.estimate_chart(estimates) if estimates is not None else ""
    return (chart + sortable_table(performance, caption="model performance by day")
            + estimated + sortable_table(estimates, caption="performance estimated without "
                                                            "labels (marts.performance_estimates)"))


def render_report(frames: Frames, *, generated_at: dt.datetime) -> str:
    """The report's HTML from the mart frames (any of them may be None or missing)."""
    bodies = {
        "drift": drift_body(frames), "features": features_body(frames),
        "parity": parity_body(frames), "performance": performance_body(frames),
        "kpis": sortable_table(present(frames, "kpi_alerts"), caption="KPI alerts",
                               empty="no KPI alert"),
        "conformance": sortable_table(present(frames, "schema_conformance"),
                                      caption="schema conformance by day and feature"),
        "promotion": gate_section(present(frames, "promotion_decisions"),
                                  present(frames, "promotion_gate_checks")),
    }
    findings = present(frames, "audit_findings")
    if findings is not None:  # the section exists once an audit does
        bodies["audit"] = audit_body(findings)
    nav = "".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t in SECTIONS
                  if a in bodies or a == "summary")
    sections = summary_html(frames) + "".join(
        _section(a, t, bodies[a]) for a, t in SECTIONS if a in bodies)
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Vigie report</title>"
            f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body>"
            f"<header><h1>Vigie report</h1><p>Generated {generated_at:%Y-%m-%d %H:%M} UTC "
            f"from the marts schema.</p><nav>{nav}</nav></header><main>{sections}</main>"
            f"<script>{TABLE_SCRIPT}</script></body></html>")


def write_report(warehouse: Warehouse, path: str | Path) -> Path:
    """Read the marts and write the HTML report to `path` (nothing is written on an error)."""
    path = Path(path)
    frames = read_marts(warehouse)
    page = render_report(frames, generated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
