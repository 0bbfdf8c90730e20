"""The report in headless Chromium: written by the real `vigie report` from a small warehouse
that `vigie simulate` and `vigie build` filled (migration stream), and rendered from the
hand-made frames of report_frames.py (gate decisions with intervals, known numbers). No
console error, no page error, no failed request; every chart drawn; a table sorts and
filters."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pages import browser_fixture, opened  # noqa: F401 (the `browser` fixture)
from report_frames import mart_frames

from orchestration.report import render_report
from orchestration.warehouse import WarehouseConfig

# the browser comes before the module's warehouse: no browser, no build
pytestmark = pytest.mark.usefixtures("browser")
VIGIE = str(Path(sys.executable).with_name("vigie"))
DAYS, PER_DAY = 6, 150
# What a chart looks like once plotly has drawn it: its SVG, with traces (or heatmap cells)
# inside and a size on the page.
DRAWN = """el => el.querySelectorAll('svg.main-svg').length > 0
  && el.querySelectorAll('g.trace, g.hm, g.imagelayer image').length > 0
  && el.getBoundingClientRect().width > 100 && el.getBoundingClientRect().height > 100"""


def vigie(config, root: Path, *args: str) -> None:
    target = root / "dbt_target"
    env = {**os.environ, **config.dbt_env(), "DBT_TARGET_PATH": str(target),
           "DBT_LOG_PATH": str(target / "logs")}
    done = subprocess.run([VIGIE, *args], env=env, cwd=root, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])


@pytest.fixture(scope="module")
def built_report(tmp_path_factory) -> Path:
    """`vigie report` of a warehouse `vigie simulate` + `vigie build` filled (built once)."""
    root = tmp_path_factory.mktemp("report_warehouse")
    config = WarehouseConfig.from_env(target="duckdb", duckdb_path=str(root / "vigie.duckdb"))
    for args in (("init",),
                 ("simulate", "--days", str(DAYS), "--per-day", str(PER_DAY),
                  "--scenario", "migration", "--seed", "7", "--start-date", "2024-01-01"),
                 ("build",),
                 ("report", "--output", str(root / "report.html"))):
        vigie(config, root, *args)
    return root / "report.html"


@pytest.fixture(scope="module")
def hand_report(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hand_report") / "report.html"
    path.write_text(render_report(mart_frames(), generated_at=dt.datetime(2026, 3, 2)))
    return path


def charts_drawn(page) -> tuple[int, int]:
    """(charts on the page, charts plotly drew), after the last one is drawn."""
    page.wait_for_selector(".plotly-graph-div >> nth=-1 >> svg.main-svg")
    charts = page.locator("div.plotly-graph-div")
    drawn = sum(charts.nth(i).evaluate(DRAWN) for i in range(charts.count()))
    return charts.count(), drawn


def test_the_built_warehouse_report_renders_every_chart_without_an_error(browser, built_report):
    with opened(browser, built_report.as_uri()) as opened_page:
        page = opened_page.page
        n_charts, n_drawn = charts_drawn(page)
        n_features = page.locator("[id^=chart-feature-]").count()
        summary = page.locator("#summary").inner_text()
        assert opened_page.errors == []
    # drift share, the heatmap, AUC, one per feature, one per sensitive attribute
    assert n_features >= 9 and n_charts >= 3 + n_features + 2
    assert n_drawn == n_charts
    assert "Drift today" in summary and "alert" in summary  # the migration drifts
    assert "no promotion decision yet" in summary  # vigie build trains nothing


def test_the_gate_charts_draw_each_check_with_its_interval(browser, hand_report):
    with opened(browser, hand_report.as_uri()) as opened_page:
        page = opened_page.page
        n_charts, n_drawn = charts_drawn(page)
        gate = page.locator("#chart-gate-1")
        panels = gate.locator("g.trace.scatter").count()
        error_bars = gate.locator("g.errorbar").count()
        assert opened_page.errors == []
    assert n_drawn == n_charts == 9
    # 5 checks × (candidate, production); an error bar for each number with an interval:
    # 3 candidate intervals (no interval for auc_margin and validation_auc_floor) + 5
    assert panels == 10 and error_bars >= 8


def first_column(page, table: str, header: str) -> list[str]:
    index = page.locator(f"{table} thead th").all_inner_texts().index(header)
    return page.locator(f"{table} tbody tr:not([hidden]) td:nth-child({index + 1})") \
        .all_inner_texts()


def test_a_table_sorts_by_number_and_filters_by_words(browser, hand_report):
    with opened(browser, hand_report.as_uri()) as opened_page:
        page = opened_page.page
        table = "#" + page.locator("table.sortable").first.get_attribute("id")
        header = page.locator(f"{table} thead th", has_text="psi").first
        header.click()
        ascending = first_column(page, table, "psi")
        header.click()
        descending = first_column(page, table, "psi")
        ks = page.locator(f"{table} thead th", has_text="ks_statistic").first
        ks.click()
        ks_ascending = first_column(page, table, "ks_statistic")
        page.fill(f"input[data-filter='{table[1:]}']", "sex  yes")
        filtered = first_column(page, table, "feature_name")
        count = page.locator(f"[data-count='{table[1:]}']").inner_text()
        assert opened_page.errors == []
    assert len(ascending) == 180  # every row of 60 days × 3 features, none cut
    assert ascending[0] == "0.02" and ascending[-1] == "0.4"
    assert descending[0] == "0.4" and descending[-1] == "0.02"
    assert ks_ascending[0] == "0.05" and ks_ascending[-1] == "—"  # empty cells last
    # sex drifted on the second half of the 60 days: 30 rows hold both words
    assert filtered == ["sex"] * 30 and count == "30 of 180 rows"


def test_the_day_menu_of_a_feature_shows_that_days_distribution(browser, hand_report):
    chart = "document.getElementById('chart-feature-0')._fullData[1]"  # y as drawn
    with opened(browser, hand_report.as_uri()) as opened_page:
        page = opened_page.page
        page.wait_for_selector("#chart-feature-0 .updatemenu-header-group")
        latest = page.evaluate(f"[{chart}.name, Array.from({chart}.y)]")
        page.locator("#chart-feature-0 .updatemenu-header-group").click()
        days = page.locator("#chart-feature-0 .updatemenu-dropdown-button")
        n_days = days.count()
        # the list runs past the chart's foot, under the next section: click it as plotly does
        days.filter(has_text="2026-01-01").dispatch_event("click")
        page.wait_for_function(f"{chart}.name === 'current (2026-01-01)'")
        first = page.evaluate(f"Array.from({chart}.y)")
        assert opened_page.errors == []
    # chart-feature-0 is sex, the feature drifted most often: 0.1 / 0.9 on its last day,
    # 0.5 / 0.5 (as in the reference) on the first
    assert latest == ["current (2026-03-01)", [0.1, 0.9]]
    assert n_days == 60 and first == [0.5, 0.5]
