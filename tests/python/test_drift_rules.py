"""Issue 14, items 3 and 4: a drift test per feature (seeds/feature_schema.csv's drift_test,
`auto` by Evidently's rule), Benjamini-Hochberg adjusted p-values and an alert after N drifted
days in a row, built as `vigie build` builds them on DuckDB and PostgreSQL and compared row by
row with the numpy / scipy oracle (tests/python/monitoring_expected.py: scipy's
wasserstein_distance, jensenshannon and false_discovery_control)."""

from __future__ import annotations

import pandas as pd
from rawdata import fresh_warehouse, write_raw
from test_incremental_sequences import assert_match_oracle, monitoring_build, project_copy
from test_monitoring_marts import raw_frames, read_marts

from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import WarehouseConfig

# One feature per test, and two left to `auto`; raw_frames' v1 reference has 400 rows and v2's
# 120, so a limit of 200 makes auto pick Wasserstein / Jensen-Shannon for v1 only.
DRIFT_TESTS = {"sex": "hellinger", "age": "ks", "job": "wasserstein",
               "housing": "jensenshannon", "saving_accounts": "chi_square",
               "checking_account": "psi", "credit_amount": "auto", "duration": "wasserstein",
               "purpose": "auto"}
THRESHOLDS = {"auto_drift_max_reference_rows": 200, "drift_consecutive_windows": 2}


def edit_seeds(project, drift_tests: dict[str, str], thresholds: dict[str, object]) -> None:
    schema = pd.read_csv(project / "seeds" / "feature_schema.csv", keep_default_na=False)
    schema["drift_test"] = schema["feature_name"].map(drift_tests).fillna("auto")
    schema.to_csv(project / "seeds" / "feature_schema.csv", index=False)
    frame = pd.read_csv(project / "seeds" / "thresholds.csv", keep_default_na=False, dtype=str)
    for name, value in thresholds.items():
        frame.loc[frame["threshold_name"] == name, "threshold_value"] = str(value)
    frame.to_csv(project / "seeds" / "thresholds.csv", index=False)


def test_each_feature_gets_its_drift_test_and_the_alert_waits_for_a_second_day(
        warehouse_config, dbt_target_path, tmp_path):
    project = project_copy(tmp_path / "project")
    edit_seeds(project, DRIFT_TESTS, THRESHOLDS)
    config = WarehouseConfig(**{**warehouse_config.__dict__, "project_dir": str(project)})
    warehouse = fresh_warehouse(config)
    frames = raw_frames(seed=11, days=5, per_day=240)
    write_raw(warehouse, "reference_sample", frames["reference_sample"])
    write_raw(warehouse, "predictions", frames["predictions"])
    monitoring_build(config, dbt_target_path)
    marts = read_marts(warehouse)
    assert_match_oracle(marts, frames, project)

    drift = marts["feature_drift"].set_index(["model_version", "feature_name", "window_date"])
    tests = drift.groupby(level=["model_version", "feature_name"])["drift_test"].first()
    assert tests["v1", "credit_amount"] == "wasserstein" and tests["v2", "credit_amount"] == "ks"
    assert tests["v1", "purpose"] == "jensenshannon" and tests["v2", "purpose"] == "chi_square"
    assert set(marts["feature_drift"]["drift_rule"]) == {
        "hellinger", "wasserstein", "ks", "jensenshannon", "chi_square", "psi"}
    # v1's age moves up 12 years from the third day (raw_frames): drifted from that day, an
    # alert only from the next one
    age = drift.loc[("v1", "age")].sort_index()
    assert age["is_drifted"].tolist() == [False, False, True, True, True]
    assert age["drifted_days_in_a_row"].tolist() == [0, 0, 1, 2, 3]
    assert age["is_drift_alert"].tolist() == [False, False, False, True, True]
    # BH never lowers a p-value
    tested = marts["feature_drift"].dropna(subset=["pvalue_adjusted"])
    raw = tested["ks_pvalue"].fillna(tested["chi_square_pvalue"])
    assert len(tested) > 0 and (tested["pvalue_adjusted"] >= raw - 1e-15).all()

    # the FDR switched off (an empty cell) and every drifted day alerting: past days follow
    edit_seeds(project, DRIFT_TESTS, {"drift_fdr_level": "", "drift_consecutive_windows": 1})
    monitoring_build(config, dbt_target_path)
    after = read_marts(warehouse)
    assert_match_oracle(after, frames, project)
    assert (after["feature_drift"]["is_drift_alert"] == after["feature_drift"]["is_drifted"]).all()



def test_a_monitoring_threshold_removed_from_the_seed_stops_the_build(duckdb_config,
                                                                      dbt_target_path, tmp_path):
    """Without wasserstein_threshold the Wasserstein test would never drift: the build fails
    on the singular test naming it instead of monitoring with a rule that cannot fire."""
    project = project_copy(tmp_path / "project")
    frame = pd.read_csv(project / "seeds" / "thresholds.csv", keep_default_na=False, dtype=str)
    frame[~frame["threshold_name"].isin(["wasserstein_threshold",
                                         "performance_estimate_band_sigmas"])].to_csv(
        project / "seeds" / "thresholds.csv", index=False)
    select = ["build", "--select", "thresholds", "configuration_monitoring_thresholds_are_set"]
    for project_dir, fails in ((str(project), True), (duckdb_config.project_dir, False)):
        config = WarehouseConfig(**{**duckdb_config.__dict__, "project_dir": project_dir})
        fresh_warehouse(config)
        proc = run_dbt(select, config, target_path=dbt_target_path, capture=True, check=False)
        assert (proc.returncode != 0) == fails, proc.stdout[-3000:]
        # the repository's seed has every threshold: the same build passes
        assert ("FAIL 2 configuration_monitoring_thresholds_are_set" in proc.stdout) == fails
