"""Issue 14, item 6, through the real `vigie simulate` and `vigie build` on DuckDB and
PostgreSQL, on the `weekly` scenario (no drift; at weekends fewer people apply, for larger and
longer loans, every weekend alike): approval_rate, checked against its own weekday as
seeds/kpi_checks.csv ships it, alerts on at most 3 of the weekend days where the trailing week
alerts on at least 8 of 10; marts.seasonal_drift's distance to the same weekday equals scipy's
jensenshannon on the pooled bins, and credit_amount drifts from the reference every weekend but
not from its weekday."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from scipy.spatial.distance import jensenshannon
from test_cli_build_sequence import vigie

from orchestration.warehouse import Warehouse

DAYS, PER_DAY, START = 35, 800, dt.date(2026, 1, 5)  # a Monday: five weekends
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
THRESHOLDS = pd.read_csv(SEEDS / "thresholds.csv").set_index("threshold_name")["threshold_value"]


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"weekly-{request.param}")
    config, drop = make_config(request.param, tmp)
    for args in (("init",),
                 ("simulate", "--days", str(DAYS), "--per-day", str(PER_DAY), "--scenario",
                  "weekly", "--seed", "7", "--start-date", START.isoformat()),
                 ("build",)):
        done = vigie(config, tmp, *args)
        assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    yield Warehouse(config)
    drop()


def frame(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    result = warehouse.query_df(sql)
    result["window_date"] = pd.to_datetime(result["window_date"]).dt.date
    return result


def weekend(days: pd.Series) -> pd.Series:
    return days.map(lambda d: d.weekday() >= 5)


def test_approval_rate_against_its_weekday_does_not_alert_every_weekend(built):
    kpis = frame(built, "select window_date, approval_rate from marts.business_kpis "
                        "order by window_date").set_index("window_date")["approval_rate"]
    ratio = THRESHOLDS["kpi_drop_ratio"]
    trailing = kpis.shift(1).rolling(7, min_periods=1).mean()
    would_alert = ((kpis - trailing) / trailing < -ratio) & weekend(kpis.index.to_series())
    assert would_alert.sum() >= 8, kpis  # of the 10 weekend days
    alerts = frame(built, "select window_date, baseline_kind from marts.kpi_alerts "
                          "where kpi_name = 'approval_rate'")
    assert set(alerts["baseline_kind"]) <= {"same_weekday"}
    # what is left is the noise of 480 weekend rows against a 5 % threshold, weekdays alike
    assert weekend(alerts["window_date"]).sum() <= 3, alerts


def test_seasonal_drift_equals_scipy_and_spares_the_weekly_rhythm(built):
    bins = frame(built, "select window_date, feature_name, bin_label, n_current "
                        "from marts.feature_distributions where feature_name = 'credit_amount'")
    ours = frame(built, "select * from marts.seasonal_drift "
                        "where feature_name = 'credit_amount'").set_index("window_date")
    counts = bins.pivot_table(index="window_date", columns="bin_label", values="n_current",
                              aggfunc="sum", fill_value=0)
    weeks = int(THRESHOLDS["seasonal_baseline_weeks"])
    for day, row in counts.iterrows():
        lags = [day - dt.timedelta(days=7 * k) for k in range(1, weeks + 1)]
        baseline = counts.loc[counts.index.isin(lags)]
        assert ours.loc[day, "n_baseline_days"] == len(baseline)
        if len(baseline):
            assert ours.loc[day, "weekday_jensenshannon"] == pytest.approx(
                jensenshannon(row.to_numpy(float), baseline.sum().to_numpy(float)), abs=1e-9)
        else:
            assert np.isnan(ours.loc[day, "weekday_jensenshannon"])
    # one baseline day is too few to judge (seasonal_min_baseline_weeks)
    assert ours.loc[ours["n_baseline_days"] < THRESHOLDS["seasonal_min_baseline_weeks"],
                    "is_drifted_from_weekday"].isna().all()
    weekends = ours[weekend(ours.index.to_series())
                    & (ours["n_baseline_days"] >= THRESHOLDS["seasonal_min_baseline_weeks"])]
    assert len(weekends) == 6
    assert weekends["is_drifted_from_reference"].all()
    assert not weekends["is_drifted_from_weekday"].astype(bool).any()
