"""The models that read labels and feedback, built incrementally by day (vigie.window_state_ctes),
against a build from scratch of the same raw data, row by row, on DuckDB and PostgreSQL.

Feedback arrives days after its prediction, so a new batch changes old days: a late label, a
corrected label, a rating. A batch that touches some days rebuilds exactly those (a day it does
not touch keeps a value planted in it), and a seed edit (the cost matrix) rebuilds every day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from rawdata import NOW, fresh_warehouse, write_raw
from test_incremental_sequences import project_copy
from test_monitoring_marts import assert_frames_match

from models_ml.credit_model import fit_reference_model, load_german_credit
from models_ml.simulate import simulate_traffic
from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import Warehouse, WarehouseConfig

ROOT = Path(__file__).resolve().parents[2]
START = dt.date(2030, 5, 1)
DAY_KEY = ["window_date", "model_name", "model_version"]
# Every relation that reads labels or feedback, by its grain.
RELATIONS = {
    "intermediate.int_labels_latest": ["prediction_id"],
    "intermediate.int_prediction_groups": ["prediction_id", "attribute"],
    "intermediate.int_training_examples": ["prediction_id"],
    "marts.model_performance": DAY_KEY,
    "marts.business_kpis": DAY_KEY,
    "marts.top_bottom": [*DAY_KEY, "feature_name"],
    "marts.group_parity": [*DAY_KEY, "attribute", "group_name"],
    "marts.group_parity_7d": [*DAY_KEY, "attribute", "group_name"],
    "marts.fairness_summary": [*DAY_KEY, "attribute"],
    "marts.fairness_summary_7d": [*DAY_KEY, "attribute"],
    "marts.kpi_alerts": [*DAY_KEY, "kpi_name"],
}
SELECT = ["--select", *(f"+{name.split('.')[1]}" for name in RELATIONS)]


def day(n: int) -> pd.Timestamp:
    return pd.Timestamp(START + dt.timedelta(days=n), tz="UTC")


@pytest.fixture(scope="module")
def traffic():
    german = load_german_credit(ROOT / "seeds" / "german_credit.csv")
    return simulate_traffic(german, days=6, per_day=120, scenario="migration", seed=5,
                            start_date=START, model=fit_reference_model(german, seed=1),
                            shift_day=3)


def batches(traffic) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Three ingestions an hour apart: days 0-3 with the feedback received before day 4; then
    day 4 with the later feedback about days 2 and 4 and a corrected label for a day-0
    prediction; then the rest. Days 1 and 3 change in the third batch only."""
    predictions, feedback = traffic.predictions, traffic.feedback
    scored = pd.to_datetime(predictions["scored_at"], utc=True)
    predicted_day = dict(zip(predictions["prediction_id"],
                             (scored - day(0)).dt.days, strict=True))
    about = feedback["prediction_id"].map(predicted_day)
    received = pd.to_datetime(feedback["received_at"], utc=True)
    early = received < day(4)
    labels = feedback[early & (feedback["kind"] == "label") & (about == 0)]
    first = labels.iloc[0]
    correction = pd.DataFrame([{
        **first.to_dict(), "feedback_id": f"{first['feedback_id']}-corrected",
        "outcome": "defaulted" if first["outcome"] == "repaid" else "repaid",
        "received_at": day(4) + pd.Timedelta(hours=3)}])
    second_feedback = ~early & about.isin([2, 4]) & (received < day(6))
    return [
        (predictions[(scored < day(4)).to_numpy()], feedback[early]),
        (predictions[((scored >= day(4)) & (scored < day(5))).to_numpy()],
         pd.concat([feedback[second_feedback], correction], ignore_index=True)),
        (predictions[(scored >= day(5)).to_numpy()], feedback[~early & ~second_feedback]),
    ]


def ingest(warehouse: Warehouse, batch: tuple[pd.DataFrame, pd.DataFrame], hour: int) -> None:
    at = NOW + dt.timedelta(hours=hour)
    predictions, feedback = batch
    if len(predictions):
        write_raw(warehouse, "predictions", predictions.assign(ingested_at=at))
    write_raw(warehouse, "feedback", feedback.assign(ingested_at=at))


def build(config: WarehouseConfig, target_path: str, *args: str) -> None:
    run_dbt(["run", *SELECT, *args], config, target_path=target_path, capture=True)


def read(warehouse: Warehouse) -> dict[str, pd.DataFrame]:
    out = {}
    for name in RELATIONS:
        frame = warehouse.query_df(f"select * from {name}")
        if "window_date" in frame:
            frame["window_date"] = pd.to_datetime(frame["window_date"]).dt.date
        out[name] = frame
    return out


def assert_same(actual: dict[str, pd.DataFrame], wanted: dict[str, pd.DataFrame]) -> None:
    for name, keys in RELATIONS.items():
        assert len(wanted[name]), name
        assert set(actual[name].columns) == set(wanted[name].columns), name
        assert_frames_match(actual[name], wanted[name][actual[name].columns], keys)


def n_labeled(warehouse: Warehouse) -> dict[dt.date, int]:
    frame = warehouse.query_df("select window_date, n_labeled from marts.model_performance")
    return dict(zip(pd.to_datetime(frame["window_date"]).dt.date, frame["n_labeled"],
                    strict=True))


def cost_per_decision(warehouse: Warehouse) -> pd.Series:
    frame = warehouse.query_df("select window_date, cost_per_decision from marts.business_kpis "
                               "where n_labeled > 0 order by window_date")
    return frame.set_index("window_date")["cost_per_decision"].astype(float)


def test_feedback_rebuilds_the_days_it_is_about_and_ends_equal_to_a_build_from_scratch(
        warehouse_config, dbt_target_path, tmp_path, traffic):
    project = project_copy(tmp_path / "project")
    config = WarehouseConfig(**{**warehouse_config.__dict__, "project_dir": str(project)})
    warehouse = fresh_warehouse(config)
    run_dbt(["seed"], config, target_path=dbt_target_path, capture=True)
    first, second, third = batches(traffic)

    ingest(warehouse, first, hour=0)
    build(config, dbt_target_path)
    # A value planted in days 1 and 3, which the second batch does not touch: it survives the
    # second build only if that build leaves those days alone.
    planted = [START + dt.timedelta(days=1), START + dt.timedelta(days=3)]
    for planted_day in planted:
        warehouse.execute("update marts.model_performance set n_labeled = -1 "
                          "where window_date = :d", {"d": planted_day})
    ingest(warehouse, second, hour=1)
    build(config, dbt_target_path)
    counts = n_labeled(warehouse)
    assert [counts[d] for d in planted] == [-1, -1]
    assert all(counts[START + dt.timedelta(days=n)] >= 0 for n in (0, 2, 4))
    corrected = second[1]["feedback_id"].iloc[-1]
    latest = warehouse.scalar("select feedback_id from intermediate.int_labels_latest "
                              "where prediction_id = :p",
                              {"p": second[1]["prediction_id"].iloc[-1]})
    assert latest == corrected

    ingest(warehouse, third, hour=2)
    build(config, dbt_target_path)
    incremental = read(warehouse)
    assert min(n_labeled(warehouse).values()) >= 0  # the third batch touched days 1 and 3
    build(config, dbt_target_path, "--full-refresh")
    assert_same(incremental, read(warehouse))

    # The cost matrix changes every day's cost: an incremental build rebuilds them all.
    costs = pd.read_csv(project / "seeds" / "cost_matrix.csv")
    costs["cost"] = costs["cost"] * 3 + 1
    costs.to_csv(project / "seeds" / "cost_matrix.csv", index=False)
    run_dbt(["seed"], config, target_path=dbt_target_path, capture=True)
    before = cost_per_decision(warehouse)
    build(config, dbt_target_path)
    incremental = read(warehouse)
    # every pair of the seed costs 3c + 1 now, so every labelled day's mean cost is 3x + 1
    after = cost_per_decision(warehouse)
    assert len(after) == 6
    pd.testing.assert_series_equal(after, before * 3 + 1, rtol=1e-12)
    build(config, dbt_target_path, "--full-refresh")
    assert_same(incremental, read(warehouse))
