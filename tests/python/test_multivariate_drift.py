"""marts.multivariate_drift through the real `vigie simulate` and `vigie build` on DuckDB and
PostgreSQL, on the `correlation` scenario (duration and credit_amount's correlation flips from
the eleventh day, each keeping its distribution): after the 7 baseline days, the mart's AUC
equals scikit-learn's roc_auc_score on the step's out-of-fold scores, the days after the flip
leave the band and the days before stay in it, its top features name the pair, while the
univariate drift of both features stays quiet, and a second build trains on no day again."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import make_config
from sklearn.metrics import roc_auc_score
from test_cli_build_sequence import vigie

from orchestration.warehouse import Warehouse

DAYS, PER_DAY, START = 20, 300, "2026-01-05"
BASELINE_DAYS = 7  # seeds/thresholds multivariate_baseline_days
FLIP_DAY = "2026-01-15"  # the scenario's shift: days // 2


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"multivariate-{request.param}")
    config, drop = make_config(request.param, tmp)
    for args in (("init",),
                 ("simulate", "--days", str(DAYS), "--per-day", str(PER_DAY), "--scenario",
                  "correlation", "--seed", "7", "--start-date", START),
                 ("build",)):
        done = vigie(config, tmp, *args)
        assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    warehouse = Warehouse(config)
    warehouse.trained = warehouse.scalar("select count(*) from raw.domain_classifier_importance")
    done = vigie(config, tmp, "build")
    assert done.returncode == 0, done.stdout[-3000:]
    yield warehouse
    drop()


def frame(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    result = warehouse.query_df(sql)
    result["window_date"] = pd.to_datetime(result["window_date"]).dt.strftime("%Y-%m-%d")
    return result


def test_the_mart_auc_is_sklearns_and_the_flip_leaves_the_band(built):
    mart = frame(built, "select * from marts.multivariate_drift").set_index("window_date")
    scores = frame(built, "select window_date, side, score from raw.domain_classifier_scores")
    assert len(mart) == DAYS - BASELINE_DAYS and mart["domain_classifier_auc"].notna().all()
    assert (mart["baseline_start_date"].astype(str) == START).all()
    assert (mart["n_baseline_rows"] == BASELINE_DAYS * PER_DAY).all()
    for day, rows in scores.groupby("window_date"):
        assert mart.loc[day, "domain_classifier_auc"] == pytest.approx(
            roc_auc_score(rows["side"] == "current", rows["score"]), abs=1e-9)
        assert mart.loc[day, "n_current_rows"] == PER_DAY
    before, after = mart[mart.index < FLIP_DAY], mart[mart.index >= FLIP_DAY]
    assert not before["is_drifted"].any() and after["is_drifted"].all(), mart
    assert after["domain_classifier_auc"].min() > 0.65
    for top in after["top_features"]:
        assert set(top.split(", ")[:2]) == {"duration", "credit_amount"}, top


def test_no_single_feature_moves_and_a_second_build_trains_on_nothing(built):
    """Each feature's KS statistic against the training reference is what it was before the
    flip (the same values, reassigned): the mean over the days on either side within 0.03,
    about three times its standard error at 300 rows a day."""
    drift = frame(built, "select window_date, feature_name, ks_statistic from "
                         "marts.feature_drift where feature_name in ('duration', 'credit_amount')")
    assert drift["ks_statistic"].notna().all() and len(drift) == 2 * DAYS
    after = drift["window_date"] >= FLIP_DAY
    means = drift.groupby([after, "feature_name"])["ks_statistic"].mean().unstack()
    assert (means.loc[True] - means.loc[False]).abs().max() < 0.03, means
    assert built.trained == (DAYS - BASELINE_DAYS) * built.scalar(
        "select count(distinct feature_name) from raw.domain_classifier_importance")
    assert built.scalar("select count(*) from raw.domain_classifier_importance") == built.trained
