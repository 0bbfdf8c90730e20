"""The report's plotly charts, each drawn from one mart's columns (nothing recomputed): drift
by day and by feature, distributions, parity with its intervals, AUC. plotly.js is inlined
once by the page, so every chart here is a div and a call, with no script of its own."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PLOT_CONFIG = {"displaylogo": False, "responsive": True}
LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
          "legend": {"orientation": "h", "y": -0.18}, "font": {"size": 12}}
PASS, FAIL, REFERENCE, CURRENT = "#2ca02c", "#d62728", "#7f7f7f", "#1f77b4"
# A colour scale, not a verdict: one feature at PSI 17 must not wash out the others.
PSI_COLOUR_MAX = 1.0


def figure_html(fig: go.Figure, div_id: str, *, height: int = 320, top: int = 50) -> str:
    fig.update_layout(height=height, **LAYOUT)
    fig.update_layout(margin_t=top)
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config=PLOT_CONFIG)


def by_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in date order, window_date as a timestamp (plotly's date axis)."""
    frame = frame.assign(window_date=pd.to_datetime(frame["window_date"]))
    return frame.sort_values("window_date")


def label(version: str, versions: int, name: str = "") -> str:
    """A series' name: the version is added only when more than one served traffic."""
    return f"{name} {version}".strip() if versions > 1 else (name or version)


def drift_share_chart(drift_summary: pd.DataFrame) -> str:
    fig = go.Figure()
    days = by_day(drift_summary)
    versions = days["model_version"].nunique()
    for version, rows in days.groupby("model_version"):
        fig.add_trace(go.Scatter(
            x=rows["window_date"], y=rows["drift_share"], mode="lines+markers",
            name=label(version, versions, "drift share"), customdata=rows[["status"]],
            hovertemplate="%{x|%Y-%m-%d}: %{y:.0%} of features drifted (%{customdata[0]})"))
    fig.update_yaxes(title="share of features drifted", tickformat=".0%", rangemode="tozero")
    fig.update_layout(title="Share of drifted features by day (status from drift_summary)")
    return figure_html(fig, "chart-drift-share", height=300)


def multivariate_chart(multivariate: pd.DataFrame) -> str:
    """The domain classifier's AUC by day against its band: outside it, the day's joint
    distribution of inputs is not the baseline's."""
    fig = go.Figure()
    days = by_day(multivariate)
    versions = days["model_version"].nunique()
    for version, rows in days.groupby("model_version"):
        fig.add_trace(go.Scatter(
            x=rows["window_date"], y=rows["domain_classifier_auc"], mode="lines+markers",
            name=label(version, versions, "domain classifier AUC"),
            customdata=rows[["top_features"]].fillna(""),
            hovertemplate="%{x|%Y-%m-%d}: AUC %{y:.3f}, leans on %{customdata[0]}"))
    bands = days[["auc_band_low", "auc_band_high"]].dropna().drop_duplicates()
    if len(bands) == 1:
        low, high = bands.iloc[0]
        fig.add_hrect(y0=low, y1=high, fillcolor=PASS, opacity=0.08, line_width=0,
                      annotation_text=f"no drift: {low:g}-{high:g}")
    fig.update_yaxes(title="ROC AUC")
    fig.update_layout(title="Multivariate drift: can a classifier tell the day from the "
                            "version's first days? (multivariate_drift)")
    return figure_html(fig, "chart-multivariate", height=300)


def drift_heatmap(feature_drift: pd.DataFrame) -> str:
    """Feature × day, coloured by PSI; a cross marks the cells the mart calls drifted."""
    rows = by_day(feature_drift)
    versions = rows["model_version"].nunique()
    rows = rows.assign(row_label=[label(v, versions, f) for f, v in
                                  zip(rows["feature_name"], rows["model_version"], strict=True)])
    psi = rows.pivot_table(index="row_label", columns="window_date", values="psi",
                           aggfunc="first", dropna=False)
    fig = go.Figure(go.Heatmap(z=psi.to_numpy(), x=psi.columns, y=psi.index,
                               colorscale="YlOrRd", zmin=0, zmax=PSI_COLOUR_MAX,
                               colorbar={"title": {"text": f"PSI (≥ {PSI_COLOUR_MAX:g}: darkest)",
                                                   "side": "right"}},
                               hovertemplate="%{y} %{x|%Y-%m-%d}: PSI %{z:.3f}<extra></extra>"))
    drifted = rows[rows["is_drifted"].fillna(False).astype(bool)]
    fig.add_trace(go.Scatter(
        x=drifted["window_date"], y=drifted["row_label"], mode="markers", name="drifted",
        marker={"symbol": "x", "color": "black", "size": 8},
        customdata=drifted[["drift_rule"]],
        hovertemplate="%{y} %{x|%Y-%m-%d}: drifted (%{customdata[0]})<extra></extra>"))
    fig.update_layout(title="Drift by feature and day (colour: PSI; ×: drifted)")
    return figure_html(fig, "chart-drift-heatmap",
                       height=max(260, 60 + 28 * psi.shape[0]))


def _bin_labels(bins: pd.DataFrame) -> list[str]:
    labels = []
    for row in bins.itertuples():
        if pd.notna(row.lower_bound) or pd.notna(row.upper_bound):
            labels.append(f"{row.lower_bound:.4g} – {row.upper_bound:.4g}")
        else:
            labels.append(str(row.bin_label))
    return labels


def feature_chart(feature: str, distributions: pd.DataFrame | None,
                  drift: pd.DataFrame, div_id: str) -> str:
    """Left: reference against current proportions by bin (a menu picks the day, the latest
    first). Right: PSI and the test's effect size by day, drifted days in red."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], subplot_titles=(
        "reference vs current distribution", "drift over time"))
    menu = []
    if distributions is not None and not distributions.empty:
        days = by_day(distributions)
        version = days.sort_values("window_date")["model_version"].iloc[-1]
        days = days[days["model_version"] == version]
        order = ["bin_index", "bin_label"]
        dates = sorted(days["window_date"].unique(), reverse=True)
        latest = days[days["window_date"] == dates[0]].sort_values(order, na_position="last")
        x = _bin_labels(latest)
        fig.add_trace(go.Bar(x=x, y=latest["reference_proportion"], name="reference",
                             marker_color=REFERENCE, opacity=0.6), row=1, col=1)
        fig.add_trace(go.Bar(x=x, y=latest["current_proportion"],
                             name=f"current ({pd.Timestamp(dates[0]):%Y-%m-%d})",
                             marker_color=CURRENT, opacity=0.6), row=1, col=1)
        for date in dates:
            day = days[days["window_date"] == date].sort_values(order, na_position="last")
            menu.append({"method": "restyle", "label": f"{pd.Timestamp(date):%Y-%m-%d}",
                         "args": [{"x": [_bin_labels(day)] * 2,
                                   "y": [day["reference_proportion"].tolist(),
                                         day["current_proportion"].tolist()],
                                   "name": ["reference",
                                            f"current ({pd.Timestamp(date):%Y-%m-%d})"]},
                                  [0, 1]]})
    rows = by_day(drift)
    effect = rows["ks_statistic"].where(rows["ks_statistic"].notna(), rows["cramers_v"])
    effect_name = "KS statistic" if rows["ks_statistic"].notna().any() else "Cramér's V"
    drifted = rows["is_drifted"].fillna(False).astype(bool)
    fig.add_trace(go.Scatter(x=rows["window_date"], y=rows["psi"], name="PSI",
                             mode="lines+markers",
                             marker={"color": [FAIL if d else PASS for d in drifted]}),
                  row=1, col=2)
    fig.add_trace(go.Scatter(x=rows["window_date"], y=effect, name=effect_name,
                             mode="lines", line={"dash": "dot"}), row=1, col=2)
    fig.update_layout(barmode="overlay", title={"text": f"<b>{feature}</b>", "x": 0.01})
    if menu:
        fig.update_layout(updatemenus=[{"buttons": menu, "x": 0.45, "y": 1.25,
                                        "xanchor": "right", "showactive": True}])
    fig.update_yaxes(title="share of rows", row=1, col=1)
    return figure_html(fig, div_id, height=360, top=80)


def _band(fig: go.Figure, x: pd.Series, low: pd.Series, high: pd.Series, row: int) -> None:
    """The interval as a shaded band under its line, one polygon per run of days that have
    one (a day without an interval leaves a gap, not a spike)."""
    known = (low.notna() & high.notna()).to_numpy()
    runs = (known != pd.Series(known).shift(fill_value=False).to_numpy()).cumsum()
    for run in set(runs[known]):
        days = runs == run
        xs, lo, hi = list(x[days]), list(low[days]), list(high[days])
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=hi + lo[::-1], fill="toself", mode="lines",
                                 line={"width": 0}, hoverinfo="skip", showlegend=False,
                                 fillcolor="rgba(31,119,180,0.15)", name="interval"),
                      row=row, col=1)


def parity_chart(attribute: str, fairness: pd.DataFrame, parity: pd.DataFrame | None,
                 four_fifths_bound: float | None, div_id: str) -> tuple[str, bool]:
    """Selection rate by group, the demographic parity ratio with its interval and the
    four-fifths band, and the equalized odds difference with its interval; and whether the
    intervals were in the mart."""
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=("selection rate by group",
                                        "demographic parity ratio (min / max selection rate)",
                                        "equalized odds difference"))
    if parity is not None and not parity.empty:
        rows = by_day(parity)
        versions = rows["model_version"].nunique()
        for (group, version), days in rows.groupby(["group_name", "model_version"]):
            fig.add_trace(go.Scatter(x=days["window_date"], y=days["selection_rate"],
                                     mode="lines+markers", name=label(version, versions,
                                                                      str(group))),
                          row=1, col=1)
    rows = by_day(fairness)
    versions = rows["model_version"].nunique()
    has_intervals = {"demographic_parity_ratio_ci_low",
                     "equalized_odds_difference_ci_low"} <= set(rows.columns)
    for version, days in rows.groupby("model_version"):
        for column, verdict, row in (("demographic_parity_ratio", "passes_four_fifths_rule", 2),
                                     ("equalized_odds_difference", "passes_equalized_odds", 3)):
            if has_intervals:
                _band(fig, days["window_date"], days[f"{column}_ci_low"],
                      days[f"{column}_ci_high"], row)
            passes = days[verdict].fillna(False).astype(bool)
            fig.add_trace(go.Scatter(
                x=days["window_date"], y=days[column], mode="lines+markers",
                name=label(version, versions, column.replace("_", " ")),
                marker={"color": [PASS if p else FAIL for p in passes], "size": 7},
                customdata=passes.map({True: "passes", False: "fails"}),
                hovertemplate="%{x|%Y-%m-%d}: %{y:.3f} (%{customdata})"), row=row, col=1)
        if "estimated_equalized_odds_difference" in days:
            # known the day of the predictions, before the labels the line above waits for
            fig.add_trace(go.Scatter(
                x=days["window_date"], y=days["estimated_equalized_odds_difference"],
                mode="lines", line={"dash": "dot"},
                name=label(version, versions, "equalized odds estimated without labels")),
                row=3, col=1)
    # after the traces: plotly leaves shapes out of a subplot that is still empty
    if four_fifths_bound is not None:
        fig.add_hrect(y0=four_fifths_bound, y1=1, fillcolor=PASS, opacity=0.08, line_width=0,
                      row=2, col=1)
        fig.add_hline(y=four_fifths_bound, line_dash="dash", line_color=FAIL, row=2, col=1,
                      annotation_text=f"four-fifths bound {four_fifths_bound:g}")
    fig.update_layout(title=f"Parity for {attribute}")
    return figure_html(fig, div_id, height=620), has_intervals


def auc_chart(performance: pd.DataFrame) -> str:
    fig = go.Figure()
    rows = by_day(performance)
    versions = rows["model_version"].nunique()
    for version, days in rows.groupby("model_version"):
        fig.add_trace(go.Scatter(x=days["window_date"], y=days["roc_auc"], mode="lines+markers",
                                 name=label(version, versions, "production AUC"),
                                 customdata=days[["n_labeled"]],
                                 hovertemplate="%{x|%Y-%m-%d}: AUC %{y:.3f} "
                                               "on %{customdata[0]} labels"))
        fig.add_trace(go.Scatter(x=days["window_date"], y=days["validation_auc"],
                                 mode="lines", line={"dash": "dash"},
                                 name=label(version, versions, "validation AUC")))
    fig.update_yaxes(title="ROC AUC")
    fig.update_layout(title="AUC on labelled traffic against the validation AUC at training")
    return figure_html(fig, "chart-auc", height=320)


def estimate_chart(estimates: pd.DataFrame) -> str:
    """The ROC AUC estimated without labels with its sampling band, against the AUC realized
    on the labels that arrived."""
    fig = make_subplots(rows=1, cols=1)
    rows = by_day(estimates)
    versions = rows["model_version"].nunique()
    for version, days in rows.groupby("model_version"):
        _band(fig, days["window_date"], days["estimated_roc_auc_low"],
              days["estimated_roc_auc_high"], 1)
        fig.add_trace(go.Scatter(x=days["window_date"], y=days["estimated_roc_auc"],
                                 mode="lines+markers",
                                 name=label(version, versions, "estimated AUC (no labels)"),
                                 customdata=days[["n_predictions"]],
                                 hovertemplate="%{x|%Y-%m-%d}: estimated AUC %{y:.3f} "
                                               "from %{customdata[0]} predictions"), row=1, col=1)
        fig.add_trace(go.Scatter(x=days["window_date"], y=days["realized_roc_auc"],
                                 mode="lines", line={"dash": "dash"},
                                 name=label(version, versions, "realized AUC (labels)")),
                      row=1, col=1)
    fig.update_yaxes(title="ROC AUC")
    fig.update_layout(title="AUC estimated from the calibrated scores, before the labels, "
                            "against the AUC of the labels that arrived")
    return figure_html(fig, "chart-estimated-auc", height=320)
