"""The static HTML report: renders from mart frames, and from a warehouse with no marts yet."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from orchestration.raw_contract import init_warehouse
from orchestration.report import line_chart, render_report, write_report
from orchestration.warehouse import Warehouse

DAYS = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]).date


def test_line_chart_draws_one_polyline_per_series_and_the_reference_line():
    svg = line_chart({"a": pd.Series([0.1, 0.5, 0.9], index=DAYS),
                      "b": pd.Series([0.2, None, 0.3], index=DAYS)},
                     title="t", y_min=0, y_max=1, reference=0.8)
    assert svg.count("<polyline") == 2
    assert 'stroke-dasharray="4"' in svg
    assert "2026-01-01" in svg and "2026-01-03" in svg


def test_report_shows_the_failing_parity_and_the_decisions():
    frames = {
        "drift": pd.DataFrame({"window_date": DAYS, "model_version": "v1",
                               "drift_share": [0.0, 0.1, 0.5],
                               "status": ["ok", "warning", "alert"],
                               "n_drifted": [0, 1, 5], "n_features": 9}),
        "fairness": pd.DataFrame({"window_date": DAYS, "attribute": "sex",
                                  "demographic_parity_ratio": [0.95, 0.9, 0.41],
                                  "equalized_odds_difference": 0.1,
                                  "passes_four_fifths_rule": [True, True, False]}),
        "decisions": pd.DataFrame({"candidate_version": ["v2"], "decision": ["blocked"],
                                   "reasons": ["four-fifths rule failed for sex: ratio 0.41"]}),
    }
    page = render_report(frames, generated_at=dt.datetime(2026, 1, 4))
    assert page.startswith("<!doctype html>")
    assert "Demographic parity ratio" in page and "four-fifths rule failed for sex" in page
    assert "Nothing to show" in page  # sections without a frame say so instead of failing


def test_report_on_a_warehouse_without_marts_still_renders(duckdb_config, tmp_path):
    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    path = write_report(warehouse, tmp_path / "r.html")
    assert "Vigie report" in path.read_text()
