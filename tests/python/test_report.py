"""The HTML report from hand-made mart frames (report_frames.py) and from DuckDB warehouses:
one self-contained page, the summary's sentences, every row in sortable tables, each gate
check with its interval and bound, an honest note where this wave's columns are missing, and
each mart read once. The page in a real browser: tests/python/browser/."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs
from report_frames import mart_frames

from orchestration.report import render_report, write_report
from orchestration.report.gate import NO_PRODUCTION_COLUMNS, NOT_AVAILABLE
from orchestration.report.page import NO_BOUND, NO_INTERVALS
from orchestration.warehouse import Warehouse, WarehouseError
from orchestration.warehouse_init import init_warehouse

GENERATED = dt.datetime(2026, 3, 2, 8, 0)


@pytest.fixture(scope="module")
def page() -> str:
    return render_report(mart_frames(), generated_at=GENERATED)


def text_of(page: str) -> str:
    """The page's text, roughly: tags dropped, entities unescaped."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def table_rows(page: str, caption: str) -> int:
    block = page.split(f"<strong>{caption}</strong>", 1)[1].split("</table>", 1)[0]
    return block.split("<tbody>", 1)[1].count("<tr>")


def test_the_page_opens_offline_with_plotly_inlined_once(page):
    assert page.startswith("<!doctype html>")
    assert page.count(get_plotlyjs()) == 1
    # nothing to fetch: no script, stylesheet or image with a source
    assert re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=", page) == []
    assert page.count('class="plotly-graph-div"') == 9  # share, heatmap, 3 features,
    # parity for sex, AUC, one panel row per decision (2)


def test_the_summary_says_production_drift_parity_and_the_last_decision(page):
    summary = text_of(page.split('<section id="summary">', 1)[1].split("</section>", 1)[0])
    assert "Production version v1" in summary
    assert "alert: 2026-03-01 (v1): 33% of 3 features drifted; drifted: sex" in summary
    assert ("sex on 2026-03-01: four-fifths fails (ratio 0.7258, [0.6613, 0.7931]); "
            "equalized odds passes (difference 0.0412, [0.0101, 0.0877])") in summary
    assert ("v3 (mitigated) against v1: BLOCKED — auc_margin failed: delta 0.0041 < 0.01"
            in summary)
    assert ("production v1 fails: four_fifths (sex: ratio 0.7258 < 0.8); way out: freeze "
            "automated decisions for review") in summary
    assert '<li class="status-alert"><span class="what">Drift today' in page


def test_tables_hold_every_row_and_sort_and_filter(page):
    assert table_rows(page, "feature drift by day") == 60 * 3  # not cut at 50
    assert table_rows(page, "fairness summary by day") == 60
    assert table_rows(page, "KPI alerts") == 1
    assert page.count('class="sortable"') == page.count('data-filter="table-')
    # numbers sort as numbers: the raw value is kept beside the rounded text
    assert '<td data-value="0.7258">0.7258</td>' in page
    assert '<th data-type="number" title="sort">psi</th>' in page


def test_every_decision_shows_each_check_with_its_interval_bound_and_production(page):
    promotion = text_of(page.split('<section id="promotion">', 1)[1])
    assert promotion.index("v3 (mitigated) against production v1, answering blocked v2") \
        < promotion.index("v2 (naive) against production v1")  # newest first
    assert table_rows(page, "checks of credit_risk:v2:vs:v1") == 5
    # equalized odds of v2: observed 0.1432, interval 0.1432 ± 0.05, bound 0.1, failed;
    # production 0.1232 in [0.0832, 0.1632], passed
    assert ("equalized_odds 0.1432 [0.0932, 0.1932] 0.1 yes no 0.1232 [0.0832, 0.1632] yes"
            in promotion)
    assert f"auc_margin 0.0311 {NOT_AVAILABLE} 0.01" in promotion  # no interval for AUC


def test_the_parity_chart_carries_the_bound_of_the_gate_and_the_intervals(page):
    assert "four-fifths bound 0.8" in page
    assert NO_BOUND not in page and NO_INTERVALS not in page


def test_without_this_waves_columns_the_page_says_what_is_missing():
    frames = mart_frames(days=4, new_columns=False)
    frames["promotion_gate_checks"] = None  # no gate has run: no bound to draw
    page = text_of(render_report(frames, generated_at=GENERATED))
    assert NO_INTERVALS in page and NO_BOUND in page
    assert f"four-fifths fails (ratio 0.7258, {NOT_AVAILABLE})" in page
    assert NO_PRODUCTION_COLUMNS in page
    assert "v3 against v1: BLOCKED" in page  # no training method to name


def test_a_warehouse_without_marts_renders_every_section_empty(duckdb_config, tmp_path):
    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    page = text_of(write_report(warehouse, tmp_path / "r.html").read_text())
    assert "Production version none recorded in marts.model_versions" in page
    assert "no day in marts.drift_summary yet" in page
    assert "No promotion has been evaluated yet." in page


def _marts_warehouse(config) -> Warehouse:
    """A warehouse whose marts schema holds two hand-made marts (and none of the others)."""
    warehouse = Warehouse(config)
    init_warehouse(warehouse)
    frames = mart_frames(days=3)
    with warehouse.connect() as conn:
        conn.exec_driver_sql("create schema if not exists marts")
        for name in ("drift_summary", "model_versions"):
            frames[name].to_sql(name, conn, schema="marts", index=False)
    return warehouse


def test_each_mart_is_read_once(warehouse_config, tmp_path, monkeypatch):
    warehouse = _marts_warehouse(warehouse_config)
    queries: list[str] = []
    real = Warehouse.query_df
    monkeypatch.setattr(Warehouse, "query_df",
                        lambda self, sql, params=None: queries.append(sql) or real(self, sql))
    page = text_of(write_report(warehouse, tmp_path / "r.html").read_text())
    assert sorted(queries) == ["select * from marts.drift_summary",
                               "select * from marts.model_versions"]
    assert "Production version v1" in page and "no day in marts.fairness_summary yet" in page


def test_a_mart_that_cannot_be_read_is_one_error_and_no_file(duckdb_config, tmp_path):
    warehouse = _marts_warehouse(duckdb_config)
    with warehouse.connect() as conn:
        conn.exec_driver_sql("create table raw.gone (x integer)")
        conn.exec_driver_sql("create view marts.kpi_alerts as select * from raw.gone")
        conn.exec_driver_sql("drop table raw.gone")
    with pytest.raises(WarehouseError, match=r"cannot read marts\.kpi_alerts in the warehouse"):
        write_report(warehouse, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_cells_read_as_people_read_them():
    from orchestration.report.tables import cell_text
    assert [cell_text(v) for v in (None, float("nan"), True, 0.123456, 3,
                                   pd.Timestamp("2026-01-02"),
                                   pd.Timestamp("2026-01-02 10:30"))] == [
        "—", "—", "yes", "0.1235", "3", "2026-01-02", "2026-01-02 10:30"]
    assert cell_text(Decimal("0.812345")) == "0.8123"


def test_an_interval_band_leaves_a_gap_where_a_day_has_none():
    from plotly.subplots import make_subplots

    from orchestration.report.charts import _band
    fig = make_subplots(rows=3, cols=1)
    days = pd.Series(pd.date_range("2026-01-01", periods=5))
    low = pd.Series([0.1, 0.2, None, 0.3, 0.4])
    _band(fig, days, low, low + 0.5, 2)
    # two runs of two days each, each a closed polygon: high forwards, low backwards
    assert [list(t.y) for t in fig.data] == [[0.6, 0.7, 0.2, 0.1], [0.8, 0.9, 0.4, 0.3]]
