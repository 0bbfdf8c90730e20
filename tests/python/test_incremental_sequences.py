"""Sequences of `vigie build` runs (orchestration.build) against a build from scratch, row by row,
on DuckDB and PostgreSQL: a first build on an empty warehouse then data, a new reference for v1,
edited seeds (thresholds and schema), late rows for an old day, and (PostgreSQL) builds while
rows keep arriving. "From scratch" is the same raw data with raw.drift_tests emptied and every
model fully refreshed, so every KS / chi-square test is computed again."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import monitoring_expected as expected
import numpy as np
import pandas as pd
import pytest
from rawdata import NOW, fresh_warehouse, write_raw
from scipy import stats
from test_monitoring_marts import (
    KEYS,
    MARTS,
    MODEL,
    MONITORING,
    START,
    assert_frames_match,
    raw_frames,
    read_marts,
)

from orchestration.build import build_warehouse
from orchestration.ingest_reference import ingest_reference_file
from orchestration.warehouse import Warehouse, WarehouseConfig

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "snapshots",
                 "tests/dbt")


def monitoring_build(config: WarehouseConfig, target_path: str, *,
                     full_refresh: bool = False) -> int:
    return build_warehouse(config, full_refresh=full_refresh, select=MONITORING,
                           target_path=target_path, capture=True)


def from_scratch(warehouse: Warehouse, target_path: str) -> dict[str, pd.DataFrame]:
    """The marts of a full build of the same raw data, every drift test computed again."""
    warehouse.execute("delete from raw.drift_tests")
    monitoring_build(warehouse.config, target_path, full_refresh=True)
    return read_marts(warehouse)


def assert_same_marts(actual: dict[str, pd.DataFrame], wanted: dict[str, pd.DataFrame]) -> None:
    for mart in MARTS:
        assert set(actual[mart].columns) == set(wanted[mart].columns), mart
        assert_frames_match(actual[mart], wanted[mart], KEYS[mart])


def assert_match_oracle(marts: dict[str, pd.DataFrame], frames: dict[str, pd.DataFrame],
                        project: Path = ROOT) -> None:
    """The marts equal the numpy / scipy recomputation under the project's seeds."""
    schema = expected.load_schema(str(project / "seeds" / "feature_schema.csv"))
    thresholds = pd.read_csv(project / "seeds" / "thresholds.csv").set_index(
        "threshold_name")["threshold_value"].to_dict()
    assert_frames_match(marts["schema_conformance"],
                        expected.expected_conformance(frames["predictions"], schema),
                        KEYS["schema_conformance"])
    drift, bins = expected.expected_drift(frames["predictions"], frames["reference_sample"],
                                          schema, thresholds)
    assert_frames_match(marts["feature_drift"], drift, KEYS["feature_drift"])
    assert_frames_match(marts["feature_distributions"], bins, KEYS["feature_distributions"])
    assert_frames_match(marts["drift_summary"], expected.expected_summary(drift, thresholds),
                        KEYS["drift_summary"])


def test_first_build_on_an_empty_warehouse_then_data(warehouse_config, dbt_target_path):
    """The reported bug: build on an empty warehouse, ingest, build → full marts."""
    warehouse = fresh_warehouse(warehouse_config)
    monitoring_build(warehouse_config, dbt_target_path)
    assert warehouse.scalar("select count(*) from marts.schema_conformance") == 0
    frames = raw_frames(seed=3, days=3, per_day=150)
    write_raw(warehouse, "reference_sample", frames["reference_sample"])
    write_raw(warehouse, "predictions", frames["predictions"])
    monitoring_build(warehouse_config, dbt_target_path)
    incremental = read_marts(warehouse)
    assert_match_oracle(incremental, frames)
    numeric = incremental["feature_drift"].query("feature_type != 'categorical'")
    assert len(numeric) == 3 * 2 * 4  # days × versions × age, job, credit_amount, duration
    assert numeric["ks_statistic"].notna().all() and numeric["ks_pvalue"].notna().all()
    assert_same_marts(incremental, from_scratch(warehouse, dbt_target_path))


def _new_reference(path: Path, n_rows: int, seed: int) -> pd.DataFrame:
    """Training rows of a retrained v1, older applicants with larger amounts, as a CSV file."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "row_id": [f"new-{i}" for i in range(n_rows)],
        "age": rng.integers(30, 75, n_rows), "job": rng.integers(0, 4, n_rows),
        "credit_amount": np.round(rng.lognormal(8.3, 0.5, n_rows), 2),
        "duration": rng.choice([12, 24, 36], n_rows),
        "sex": rng.choice(["female", "male"], n_rows),
        "housing": rng.choice(["own", "rent"], n_rows),
        "saving_accounts": rng.choice(["little", "rich"], n_rows),
        "checking_account": rng.choice(["little", "moderate"], n_rows),
        "purpose": rng.choice(["car", "business"], n_rows),
    })
    frame.to_csv(path, index=False)
    return frame


def test_a_new_reference_for_v1_retests_every_day_against_it(warehouse_config, dbt_target_path,
                                                             tmp_path):
    warehouse = fresh_warehouse(warehouse_config)
    frames = raw_frames(seed=5, days=3, per_day=150)
    write_raw(warehouse, "reference_sample", frames["reference_sample"])
    write_raw(warehouse, "predictions", frames["predictions"])
    monitoring_build(warehouse_config, dbt_target_path)
    before = read_marts(warehouse)["feature_drift"]

    added = _new_reference(tmp_path / "v1.csv", 300, seed=9)
    features = [f for (m, f) in expected.load_schema(
        str(ROOT / "seeds" / "feature_schema.csv")).index if m == MODEL]
    ingest_reference_file(warehouse, tmp_path / "v1.csv", model_name=MODEL, model_version="v1",
                          features=features)
    monitoring_build(warehouse_config, dbt_target_path)
    marts = read_marts(warehouse)

    stored = warehouse.query_df("select model_version, row_id, feature_name, value "
                                "from raw.reference_sample")
    new_rows = stored[stored["row_id"].str.startswith("new-")]
    assert len(new_rows) == len(added) * len(features)
    reference = {"reference_sample": stored, "predictions": frames["predictions"]}
    assert_match_oracle(marts, reference)
    drift = marts["feature_drift"]
    v1 = drift[drift["model_version"] == "v1"]
    # every day of v1 was tested against the new reference: KS of the raw values by scipy
    ref_v1 = stored[stored["model_version"] == "v1"]
    days = frames["predictions"].assign(day=frames["predictions"]["scored_at"].dt.date)
    for feature in ("age", "credit_amount", "duration", "job"):
        ref_values = ref_v1.loc[ref_v1["feature_name"] == feature, "value"].dropna().astype(float)
        for day, group in days[days["model_version"] == "v1"].groupby("day"):
            current = [f[feature] for f in group["features"] if isinstance(
                f.get(feature), int | float) and not isinstance(f.get(feature), bool)]
            wanted = stats.ks_2samp(ref_values.to_numpy(), np.array(current, dtype=float))
            row = v1[(v1["feature_name"] == feature) & (v1["window_date"] == day)].iloc[0]
            np.testing.assert_allclose(row["ks_statistic"], wanted.statistic, rtol=1e-12)
            np.testing.assert_allclose(row["ks_pvalue"], wanted.pvalue, rtol=1e-9, atol=1e-300)
    # v2's reference did not change: its rows are those of the first build
    old_v2 = before[before["model_version"] == "v2"].reset_index(drop=True)
    assert_frames_match(drift[drift["model_version"] == "v2"], old_v2, KEYS["feature_drift"])
    assert v1["reference_hash"].nunique() == 1
    assert set(v1["reference_hash"]) != set(before.query("model_version == 'v1'")[
        "reference_hash"])
    assert_same_marts(marts, from_scratch(warehouse, dbt_target_path))


def project_copy(root: Path) -> Path:
    """A private copy of the dbt project, so its seeds can be edited without touching the
    repository's (other tests run beside this one)."""
    for part in PROJECT_PARTS:
        source, target = ROOT / part, root / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    return root


def test_edited_seeds_change_past_days(warehouse_config, dbt_target_path, tmp_path):
    """Raise drift_effect_size and narrow age's range: past days' is_drifted, drift status and
    out-of-range counts follow, as in a build from scratch."""
    project = project_copy(tmp_path / "project")
    config = WarehouseConfig(**{**warehouse_config.__dict__, "project_dir": str(project)})
    warehouse = fresh_warehouse(config)
    frames = raw_frames(seed=7, days=4, per_day=150)
    write_raw(warehouse, "reference_sample", frames["reference_sample"])
    write_raw(warehouse, "predictions", frames["predictions"])
    monitoring_build(config, dbt_target_path)
    before = read_marts(warehouse)
    assert before["feature_drift"]["is_drifted"].any()

    thresholds = pd.read_csv(project / "seeds" / "thresholds.csv")
    thresholds.loc[thresholds["threshold_name"] == "drift_effect_size", "threshold_value"] = 0.95
    thresholds.to_csv(project / "seeds" / "thresholds.csv", index=False)
    schema = pd.read_csv(project / "seeds" / "feature_schema.csv", keep_default_na=False)
    schema.loc[schema["feature_name"] == "age", "max_value"] = "50"
    schema.to_csv(project / "seeds" / "feature_schema.csv", index=False)
    monitoring_build(config, dbt_target_path)
    after = read_marts(warehouse)

    assert_match_oracle(after, frames, project)
    # past days drifted by the test rule with an effect below 0.95 no longer drift
    effect = before["feature_drift"]["ks_statistic"].fillna(before["feature_drift"]["cramers_v"])
    flipped = before["feature_drift"]["is_drifted"] & (effect < 0.95)
    assert flipped.sum() >= 3
    assert not after["feature_drift"].loc[flipped, "is_drifted"].any()
    ages = after["schema_conformance"].query("feature_name == 'age'")
    old_ages = before["schema_conformance"].query("feature_name == 'age'")
    assert (ages["n_out_of_range"].to_numpy() > old_ages["n_out_of_range"].to_numpy()).all()
    assert_same_marts(after, from_scratch(warehouse, dbt_target_path))


def test_late_rows_for_an_old_day_are_retested(warehouse_config, dbt_target_path):
    warehouse = fresh_warehouse(warehouse_config)
    frames = raw_frames(seed=13, days=3, per_day=150)
    predictions = frames["predictions"]
    late = (predictions["scored_at"].dt.date == START) & (predictions.index % 2 == 0)
    write_raw(warehouse, "reference_sample", frames["reference_sample"])
    write_raw(warehouse, "predictions", predictions[~late])
    monitoring_build(warehouse_config, dbt_target_path)
    first = warehouse.query_df("select feature_name, statistic from raw.drift_tests "
                               "where window_date = :d and model_version = 'v1'",
                               {"d": START})
    write_raw(warehouse, "predictions", predictions[late].assign(
        ingested_at=NOW + dt.timedelta(hours=2)))
    monitoring_build(warehouse_config, dbt_target_path)
    marts = read_marts(warehouse)
    assert_match_oracle(marts, frames)
    tests = warehouse.query_df("select window_date, feature_name, n_predictions "
                               "from raw.drift_tests where model_version = 'v1'")
    tests["window_date"] = pd.to_datetime(tests["window_date"]).dt.date
    per_day = tests.groupby("window_date").size().to_dict()
    n_features = len(first)
    assert per_day == {START: 2 * n_features, START + dt.timedelta(days=1): n_features,
                       START + dt.timedelta(days=2): n_features}
    day0 = marts["feature_drift"].query("model_version == 'v1' and window_date == @START")
    assert (day0["n_current"] == int(((predictions["scored_at"].dt.date == START)
                                      & (predictions["model_version"] == "v1")).sum())).all()
    assert_same_marts(marts, from_scratch(warehouse, dbt_target_path))


@pytest.mark.postgres
def test_builds_while_rows_arrive_end_equal_to_a_build_from_scratch(tmp_path):
    """A writer appends batches (rows of every day, old days included) while the warehouse is
    built several times; after one more build the marts equal a build from scratch and the
    numpy / scipy recomputation. Each build reads the snapshot it fixed at its start."""
    from conftest import make_config

    config, drop = make_config("postgres", tmp_path)
    target_path = tmp_path / "dbt_target"
    target_path.mkdir()
    try:
        warehouse = fresh_warehouse(config)
        frames = raw_frames(seed=17, days=3, per_day=200)
        write_raw(warehouse, "reference_sample", frames["reference_sample"])
        shuffled = frames["predictions"].sample(frac=1.0, random_state=1)
        batches = [shuffled.iloc[part] for part in np.array_split(np.arange(len(shuffled)), 40)]
        write_raw(warehouse, "predictions", batches[0].assign(ingested_at=_now()))
        done = threading.Event()
        errors: list[BaseException] = []

        def writer() -> None:
            try:
                for batch in batches[1:]:
                    write_raw(warehouse, "predictions", batch.assign(ingested_at=_now()))
                    done.wait(0.4)
            except BaseException as exc:  # reported by the test below
                errors.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=writer)
        thread.start()
        n_builds = 0
        while not done.is_set() or n_builds < 2:
            monitoring_build(config, str(target_path))
            n_builds += 1
        thread.join()
        assert not errors, errors
        assert n_builds >= 2
        monitoring_build(config, str(target_path))
        marts = read_marts(warehouse)
        assert warehouse.scalar("select count(*) from raw.predictions") == len(shuffled)
        assert_match_oracle(marts, frames)
        assert_same_marts(marts, from_scratch(warehouse, str(target_path)))
    finally:
        drop()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
