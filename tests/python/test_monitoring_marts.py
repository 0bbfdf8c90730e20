"""The monitoring marts (schema_conformance, feature_drift, feature_distributions,
drift_summary) built as `vigie build` builds them (dbt, the Python KS / chi-square step, the
drift marts) on DuckDB and PostgreSQL, compared row by row with a numpy/pandas/scipy
recomputation (tests/python/monitoring_expected.py), across engines and across incremental
and full builds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import monitoring_expected as expected
import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from rawdata import NOW, fresh_warehouse, write_raw

from models_ml.credit_model import fit_reference_model, german_as_reference, load_german_credit
from models_ml.simulate import simulate_traffic
from models_ml.training import reference_sample
from orchestration.build import build_warehouse
from orchestration.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = expected.load_schema(str(ROOT / "seeds" / "feature_schema.csv"))
THRESHOLDS = pd.read_csv(ROOT / "seeds" / "thresholds.csv").set_index(
    "threshold_name")["threshold_value"].to_dict()
START = dt.date(2029, 3, 1)
MODEL = "credit_risk"
MARTS = ("schema_conformance", "feature_drift", "feature_distributions", "drift_summary")
KEYS = {
    "schema_conformance": ["window_date", "model_name", "feature_name"],
    "feature_drift": ["window_date", "model_name", "model_version", "feature_name"],
    "feature_distributions": ["window_date", "model_name", "model_version", "feature_name",
                              "bin_label"],
    "drift_summary": ["window_date", "model_name", "model_version"],
}
SELECT = "select * from marts.{mart}"
# When a row was built or tested: differs between an incremental and a full build.
BOOKKEEPING = ("last_ingested_at", "last_drift_test_at")
# What `vigie build` builds, cut down to the monitoring marts and what they read.
MONITORING = ("+path:models/marts/monitoring", "+int_drift_tests_required")
CATEGORIES = {"sex": ["female", "male"], "housing": ["free", "own", "rent"],
              "saving_accounts": ["little", "moderate", "not_known", "quite rich", "rich"],
              "checking_account": ["little", "moderate", "not_known", "rich"],
              "purpose": ["business", "car", "education", "radio/TV", "repairs"]}


def _features(rng: np.random.Generator, shifted: bool) -> dict[str, object]:
    """One applicant's features; `shifted` moves age up and sex towards male."""
    features: dict[str, object] = {
        "sex": "male" if rng.random() < (0.9 if shifted else 0.65) else "female",
        "age": int(rng.integers(19, 60) + (12 if shifted else 0)),
        "job": int(rng.integers(0, 4)),
        "credit_amount": round(float(rng.lognormal(7.8, 0.6)), 2),
        "duration": int(rng.choice([6, 12, 12, 18, 24, 24, 36, 48])),
    }
    for name in ("housing", "saving_accounts", "checking_account", "purpose"):
        features[name] = str(rng.choice(CATEGORIES[name]))
    if rng.random() < 0.15:
        features["saving_accounts"] = None
    return features


BAD_VALUES = [("age", "forty"), ("age", 150), ("duration", 12.5), ("sex", "unknown"),
              ("housing", 3), ("credit_amount", None), ("job", True), ("purpose", "other"),
              ("credit_amount", -5.25)]


def raw_frames(seed: int, days: int, per_day: int = 300) -> dict[str, pd.DataFrame]:
    """Reference samples of v1 and v2, `days` days of predictions with bad values, a renamed
    (checking_account → checking_status) and an unexpected (channel) feature from day 2, drift
    of v1 from day 2, and KS / chi-square rows for some days."""
    rng = np.random.default_rng(seed)
    reference = []
    for version, n_rows in (("v1", 400), ("v2", 120)):
        for row in range(n_rows):
            for name, value in _features(rng, shifted=False).items():
                if rng.random() < 0.02:
                    continue  # the feature is absent from this reference row
                text = None if value is None else (repr(value) if isinstance(value, float)
                                                   else str(value))
                reference.append((MODEL, version, f"{version}-{row}", name, text))
    reference = pd.DataFrame(reference, columns=["model_name", "model_version", "row_id",
                                                 "feature_name", "value"])
    rows = []
    for day in range(days):
        for i in range(per_day):
            version = "v1" if i % 3 else "v2"
            features = _features(rng, shifted=day >= 2 and version == "v1")
            if i < len(BAD_VALUES) and day % 2 == i % 2:
                features[BAD_VALUES[i][0]] = BAD_VALUES[i][1]
            if i == 20:
                del features["job"]
            if day >= 2:
                features["checking_status"] = features.pop("checking_account")
                features["channel"] = str(rng.choice(["web", "app"]))
            seconds = i * (86_000 // per_day) + 7
            scored_at = pd.Timestamp(START) + pd.Timedelta(days=day, seconds=seconds)
            rows.append((f"p-{seed}-{day}-{i}", MODEL, version, scored_at, features))
    predictions = pd.DataFrame(rows, columns=["prediction_id", "model_name", "model_version",
                                              "scored_at", "features"])
    predictions["entity_id"] = "e"
    predictions["score"] = 0.5
    predictions["decision"] = "approved"
    predictions["latency_ms"] = 10.0
    return {"predictions": predictions, "reference_sample": reference}


def read_marts(warehouse: Warehouse) -> dict[str, pd.DataFrame]:
    """Every monitoring mart, sorted by its grain, bookkeeping timestamps dropped."""
    out = {}
    for mart in MARTS:
        frame = warehouse.query_df(SELECT.format(mart=mart))
        frame = frame.drop(columns=[c for c in BOOKKEEPING if c in frame])
        frame["window_date"] = pd.to_datetime(frame["window_date"]).dt.date
        out[mart] = frame.sort_values(KEYS[mart]).reset_index(drop=True)
    return out


def assert_frames_match(actual: pd.DataFrame, wanted: pd.DataFrame, keys: list[str]) -> None:
    """Same rows (by key) and, column by column, equal values (numbers to 1e-9)."""
    wanted = wanted.sort_values(keys).reset_index(drop=True)
    actual = actual.sort_values(keys).reset_index(drop=True)
    assert actual[keys].astype(str).values.tolist() == wanted[keys].astype(str).values.tolist()
    for column in wanted.columns:
        got, want = actual[column].astype(object), wanted[column].astype(object)
        got_null, want_null = got.isna().to_numpy(), want.isna().to_numpy()
        assert (got_null == want_null).all(), f"{column}: nulls differ"
        got, want = got[~got_null], want[~want_null]
        if pd.api.types.is_bool_dtype(want.infer_objects()) or want.map(
                lambda v: isinstance(v, str | dt.date)).all():
            assert got.tolist() == want.tolist(), column
        else:
            rtol = 1e-9
            np.testing.assert_allclose(got.astype(float), want.astype(float), rtol=rtol,
                                       atol=1e-12, err_msg=column)


def monitoring_build(config, target_path: str, *, full_refresh: bool = False) -> None:
    """`vigie build` (orchestration.build) on the monitoring marts; raises when dbt fails."""
    build_warehouse(config, full_refresh=full_refresh, select=MONITORING,
                    target_path=target_path, capture=True)


def build(config, target_path: str, frames: dict[str, pd.DataFrame]) -> Warehouse:
    warehouse = fresh_warehouse(config)
    write_raw(warehouse, "reference_sample", frames["reference_sample"])
    write_raw(warehouse, "predictions", frames["predictions"])
    monitoring_build(config, target_path)
    return warehouse


# Marts of the same input per engine, kept so the cross-engine test needs no extra builds
# (pytest runs this file in one process: --dist loadfile).
BUILT: dict[str, dict[str, pd.DataFrame]] = {}


def assert_marts_match_reference(marts, frames) -> None:
    conformance = expected.expected_conformance(frames["predictions"], SCHEMA)
    assert_frames_match(marts["schema_conformance"], conformance, KEYS["schema_conformance"])
    feature_drift, distributions = expected.expected_drift(
        frames["predictions"], frames["reference_sample"], SCHEMA, THRESHOLDS)
    assert_frames_match(marts["feature_drift"], feature_drift, KEYS["feature_drift"])
    assert_frames_match(marts["feature_distributions"], distributions,
                        KEYS["feature_distributions"])
    summary = expected.expected_summary(feature_drift, THRESHOLDS)
    assert_frames_match(marts["drift_summary"], summary, KEYS["drift_summary"])


def test_marts_match_python_reference(warehouse_config, dbt_target_path):
    frames = raw_frames(seed=7, days=4)
    marts = read_marts(build(warehouse_config, dbt_target_path, frames))
    BUILT[warehouse_config.target] = marts
    assert_marts_match_reference(marts, frames)
    # every numeric feature of every day has its KS statistic and p-value
    numeric = marts["feature_drift"].query("feature_type != 'categorical'")
    assert numeric["ks_statistic"].notna().all() and numeric["ks_pvalue"].notna().all()

    # the story the data tells: renamed and unexpected features, v1 drifting from day 2
    rows = marts["schema_conformance"].set_index(["window_date", "feature_name"])
    late = START + dt.timedelta(days=3)
    assert not rows.loc[(late, "checking_account"), "is_observed"]
    assert not rows.loc[(late, "channel"), "is_expected"]
    drifted = marts["drift_summary"].query("model_version == 'v1'")
    assert (drifted["status"].iloc[:2] == "ok").all()
    assert (drifted["status"].iloc[2:] != "ok").all()


@pytest.mark.postgres
def test_duckdb_and_postgres_marts_are_equal(tmp_path):
    frames = raw_frames(seed=7, days=4)
    for target in ("duckdb", "postgres"):
        if target not in BUILT:  # this test run alone: build what the reference test built
            config, drop = make_config(target, tmp_path)
            try:
                target_path = tmp_path / f"dbt_{target}"
                target_path.mkdir()
                BUILT[target] = read_marts(build(config, str(target_path), frames))
            finally:
                drop()
    for mart in MARTS:
        # schema_hash hashes the schema's numbers as text, which each engine writes its way
        duckdb = BUILT["duckdb"][mart].drop(columns=["schema_hash"], errors="ignore")
        assert_frames_match(BUILT["postgres"][mart], duckdb, KEYS[mart])


def test_incremental_build_equals_a_build_from_scratch(warehouse_config, dbt_target_path):
    """Build three days, add the fourth day and late rows for day 1, build again: the marts
    equal the reference over all four days, and only the late and new days were re-tested."""
    frames = raw_frames(seed=11, days=4)
    predictions = frames["predictions"]
    day = predictions["scored_at"].dt.floor("D")
    late = (day == pd.Timestamp(START) + pd.Timedelta(days=1)) & (predictions.index % 5 == 0)
    early = (day < pd.Timestamp(START) + pd.Timedelta(days=3)) & ~late
    first = {"reference_sample": frames["reference_sample"], "predictions": predictions[early]}
    warehouse = build(warehouse_config, dbt_target_path, first)
    n_features = len(SCHEMA)
    assert warehouse.scalar("select count(*) from raw.drift_tests") == 3 * 2 * n_features
    write_raw(warehouse, "predictions",
              predictions[~early].assign(ingested_at=NOW + dt.timedelta(hours=1)))
    monitoring_build(warehouse_config, dbt_target_path)
    assert_marts_match_reference(read_marts(warehouse), frames)
    tests = warehouse.query_df("select window_date, count(*) as n from raw.drift_tests "
                               "group by window_date order by window_date")
    # days 0 and 2 tested once; day 1 (late rows) and day 3 (new) also by the second build
    assert tests["n"].tolist() == [2 * n_features, 4 * n_features, 2 * n_features,
                                   2 * n_features]


def test_migration_scenario_shows_schema_change_and_drift(duckdb_config, dbt_target_path):
    german = load_german_credit(ROOT / "seeds" / "german_credit.csv")
    shift_day, start = 3, dt.date(2030, 5, 1)
    simulated = simulate_traffic(german, days=6, per_day=1000, scenario="migration", seed=3,
                                 start_date=start, model=fit_reference_model(german, seed=1),
                                 shift_day=shift_day)
    features, _ = german_as_reference(german)
    reference = reference_sample(features, max_rows=1000, seed=0).assign(
        model_name=MODEL, model_version="v1")
    predictions = simulated.predictions
    marts = read_marts(build(duckdb_config, dbt_target_path,
                             {"reference_sample": reference, "predictions": predictions}))
    migrated = start + dt.timedelta(days=shift_day)
    conformance = marts["schema_conformance"].set_index(["feature_name", "window_date"])
    for feature, column, from_migration in (("checking_status", "is_observed", True),
                                            ("channel", "is_observed", True),
                                            ("checking_account", "is_observed", False)):
        series = conformance.loc[feature, column]
        assert (series[series.index >= migrated] == from_migration).all(), feature
        assert (series[series.index < migrated] != from_migration).all(), feature
    assert not conformance.loc["channel", "is_expected"].any()
    gone = conformance.loc["checking_account"]
    assert (gone.loc[gone.index >= migrated, "n_missing"]
            == gone.loc[gone.index >= migrated, "n_rows"]).all()
    drift_rows = marts["feature_drift"].set_index(["feature_name", "window_date"])
    savings = drift_rows.loc["saving_accounts", "null_rate_current"]
    assert savings[savings.index >= migrated].min() > savings[savings.index < migrated].max()
    for feature in ("age", "sex"):
        drifted = drift_rows.loc[feature, "is_drifted"]
        assert drifted[drifted.index >= migrated].all(), feature
        assert not drifted[drifted.index < migrated].any(), feature
    summary = marts["drift_summary"].set_index("window_date")
    assert (summary.loc[summary.index < migrated, "status"] == "ok").all()
    assert (summary.loc[summary.index >= migrated, "status"] != "ok").all()
