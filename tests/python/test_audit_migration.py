"""`vigie audit` on the simulator's `migration` scenario, through the real `vigie simulate` and
`vigie audit` on DuckDB and PostgreSQL (dbt builds what `vigie build` builds for the audit): the
30 days before the migration against the 30 days after find every change it injected
(checking_account renamed to checking_status, a new `channel`, saving_accounts' nulls, women
and over-60s under-represented, women's labels kept mostly when they defaulted) and exit 1 with
--fail-on; two periods of the `clean` scenario find none and exit 0. Shares, rates and KS are
checked against pandas and scipy on the raw rows."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from scipy import stats
from test_cli_build_sequence import vigie

from orchestration.audit import PREDICTION_ROWS
from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import Warehouse

# 60 days: the migration starts on day 30 (days // 2), so 30 days before and 30 after.
DAYS, PER_DAY, START = 60, 300, dt.date(2026, 1, 5)
SHIFT = START + dt.timedelta(days=DAYS // 2)
BEFORE = f"predictions:{START}..{SHIFT - dt.timedelta(days=1)}"
AFTER = f"predictions:{SHIFT}..{START + dt.timedelta(days=DAYS - 1)}"


def simulated(request, tmp_path_factory, scenario: str):
    tmp = tmp_path_factory.mktemp(f"audit-{scenario}-{request.param}")
    config, drop = make_config(request.param, tmp)
    for args in (("init",),
                 ("simulate", "--days", str(DAYS), "--per-day", str(PER_DAY), "--scenario",
                  scenario, "--seed", "7", "--start-date", START.isoformat())):
        done = vigie(config, tmp, *args)
        assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    # What `vigie build` builds and the audit of a predictions range reads, and only that: the
    # rest of a build (drift, fairness, training) is other tests' business and was two thirds of
    # this module's time.
    # (cautious: not the singular tests that also read marts this build does not make)
    run_dbt(["build", "--select", f"+{PREDICTION_ROWS[1]}", "--indirect-selection", "cautious"],
            config, target_path=str(tmp / "dbt_target"), capture=True)
    audited = vigie(config, tmp, "audit", "--baseline", BEFORE, "--candidate", AFTER,
                    "--fail-on", "all", "--audit-id", f"{scenario}-all")
    return config, tmp, drop, audited


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def migration(request, tmp_path_factory):
    config, tmp, drop, audited = simulated(request, tmp_path_factory, "migration")
    yield Warehouse(config), config, tmp, audited
    drop()


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def clean(request, tmp_path_factory):
    config, tmp, drop, audited = simulated(request, tmp_path_factory, "clean")
    yield Warehouse(config), audited
    drop()


def raw_rows(warehouse: Warehouse) -> pd.DataFrame:
    """One row per prediction: its day, features and latest label's outcome (pandas' own
    reading of raw.predictions and raw.feedback: the oracle of the audit's numbers)."""
    predictions = warehouse.query_df("select prediction_id, scored_at, features "
                                     "from raw.predictions")
    labels = warehouse.query_df("select prediction_id, outcome, received_at, feedback_id "
                                "from raw.feedback where kind = 'label'")
    latest = (labels.sort_values(["received_at", "feedback_id"])
              .drop_duplicates("prediction_id", keep="last")
              .set_index("prediction_id")["outcome"])
    features = pd.DataFrame([f if isinstance(f, dict) else json.loads(f)
                             for f in predictions["features"]])
    features["day"] = pd.to_datetime(predictions["scored_at"]).dt.date
    features["outcome"] = predictions["prediction_id"].map(latest).to_numpy()
    return features


def sides(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"baseline": rows[rows["day"] < SHIFT], "candidate": rows[rows["day"] >= SHIFT]}


def mart(warehouse: Warehouse, name: str, audit_id: str) -> pd.DataFrame:
    return warehouse.query_df(f"select * from marts.{name} where audit_id = :a",
                              {"a": audit_id})


def test_migration_audit_finds_every_injected_change_and_fails(migration):
    _, _, _, audited = migration
    assert audited.returncode == 1, (audited.stdout[-3000:], audited.stderr[-3000:])
    out = audited.stdout
    assert "checking_account: renamed (renamed to checking_status" in out
    assert "channel: new (string)" in out
    assert "saving_accounts: null_rise" in out
    assert "sex=female: under_represented" in out
    assert "age=60_and_over: under_represented" in out
    assert "sex=female: outcome_rate_shifted" in out
    assert "sex=female: label_rate_lower" in out
    assert "age=60_and_over: label_rate_lower" in out
    assert "FAILED on" in audited.stderr and "Traceback" not in audited.stderr
    # the untouched features do not drift; age (younger after the migration) does
    assert "age: drifted" in out
    for untouched in ("credit_amount", "duration", "purpose", "housing", "job"):
        assert f" {untouched}: " not in out


def test_migration_shares_and_label_rates_equal_pandas(migration):
    warehouse, _, _, _ = migration
    rows = raw_rows(warehouse)
    representation = mart(warehouse, "audit_representation", "migration-all").set_index(
        ["attribute", "group_name"])
    groups = {("sex", "female"): lambda f: f["sex"] == "female",
              ("age", "60_and_over"): lambda f: f["age"] >= 60}
    for key, member in groups.items():
        row = representation.loc[key]
        for side, frame in sides(rows).items():
            group = frame[member(frame)]
            labelled = group["outcome"].notna()
            assert row[f"n_group_{side}"] == len(group)
            assert row[f"share_{side}"] == pytest.approx(len(group) / len(frame), abs=1e-12)
            assert row[f"label_rate_{side}"] == pytest.approx(labelled.mean(), abs=1e-12)
            assert row[f"outcome_rate_{side}"] == pytest.approx(
                (group.loc[labelled, "outcome"] == "defaulted").mean(), abs=1e-12)
        assert row["share_ratio"] == pytest.approx(
            row["share_candidate"] / row["share_baseline"], abs=1e-12)
        assert row["is_under_represented"]
    # women: ~31 % of the applicants before, ~14 % after (the incident)
    female = representation.loc[("sex", "female")]
    assert 0.28 < female["share_baseline"] < 0.34 and 0.11 < female["share_candidate"] < 0.17
    # their labels were kept mostly when they defaulted; men's outcome rate barely moves
    assert female["is_outcome_rate_shifted"] and female["outcome_rate_change"] > 0.2
    assert not representation.loc[("sex", "male"), "is_under_represented"]


def test_migration_profiles_equal_scipy_and_pandas(migration):
    warehouse, _, _, _ = migration
    rows = raw_rows(warehouse)
    both = sides(rows)
    profiles = mart(warehouse, "audit_feature_profiles", "migration-all").set_index(
        "column_name")
    ks = stats.ks_2samp(both["baseline"]["age"].astype(float),
                        both["candidate"]["age"].astype(float))
    assert profiles.loc["age", "test_statistic"] == pytest.approx(ks.statistic, abs=1e-12)
    assert profiles.loc["age", "test_pvalue"] == pytest.approx(ks.pvalue, rel=1e-6)
    for side, frame in both.items():
        assert profiles.loc["saving_accounts", f"null_rate_{side}"] == pytest.approx(
            frame["saving_accounts"].isna().mean(), abs=1e-12)
    # served_view empties 30 % of saving_accounts after the migration
    assert profiles.loc["saving_accounts", "null_rate_change"] == pytest.approx(0.30, abs=0.03)
    assert "checking_account" not in profiles.index and "channel" not in profiles.index
    changes = mart(warehouse, "audit_schema_changes", "migration-all").set_index("column_name")
    assert changes.loc["checking_account", "renamed_to"] == "checking_status"
    assert changes.loc["checking_status", "renamed_from"] == "checking_account"
    assert changes.loc["channel", "schema_change"] == "new"
    # the rename's effect size is chi-square's Cramér's V of the two columns (scipy)
    table = pd.crosstab(
        np.r_[["b"] * both["baseline"]["checking_account"].notna().sum(),
              ["c"] * both["candidate"]["checking_status"].notna().sum()],
        np.r_[both["baseline"]["checking_account"].dropna().to_numpy(),
              both["candidate"]["checking_status"].dropna().to_numpy()])
    chi2 = stats.chi2_contingency(table.to_numpy(), correction=False).statistic
    assert changes.loc["checking_account", "rename_effect_size"] == pytest.approx(
        np.sqrt(chi2 / table.to_numpy().sum()), abs=1e-9)


def test_fail_on_chooses_the_kinds_that_fail(migration):
    _, config, tmp, _ = migration
    # drift alone fails (age), schema alone fails; without --fail-on the audit only reports
    done = vigie(config, tmp, "audit", "--baseline", BEFORE, "--candidate", AFTER,
                 "--fail-on", "schema")
    assert done.returncode == 1 and "FAILED on schema" in done.stderr
    done = vigie(config, tmp, "audit", "--baseline", BEFORE, "--candidate", AFTER)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sex=female: under_represented" in done.stdout


def test_clean_periods_find_nothing_and_pass(clean):
    warehouse, audited = clean
    assert audited.returncode == 0, (audited.stdout[-3000:], audited.stderr[-3000:])
    findings = mart(warehouse, "audit_findings", "clean-all")
    assert findings["passed"].all(), findings[~findings["passed"]]
    assert findings["is_assessable"].all()
    assert set(findings["finding_kind"]) == {"schema", "nulls", "drift", "representation",
                                             "labels"}
    assert "0 not passed" in audited.stdout
