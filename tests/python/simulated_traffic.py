"""The simulated traffic the simulator's tests share: German credit, the served model, and 10
days of each scenario (module fixtures), with helpers to read features and labels back."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models_ml.credit_model import fit_reference_model, load_german_credit
from models_ml.simulate import simulate_traffic

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
START = datetime.date(2024, 3, 1)
DAYS = 10
SHIFT_DAY = 5


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    return load_german_credit(SEEDS / "german_credit.csv")


@pytest.fixture(scope="module")
def thresholds() -> dict[str, float]:
    frame = pd.read_csv(SEEDS / "thresholds.csv")
    return dict(zip(frame["threshold_name"], frame["threshold_value"], strict=True))


@pytest.fixture(scope="module")
def model(german):
    return fit_reference_model(german, seed=1)


def simulate(german, model, scenario, *, per_day, seed=3, days=DAYS):
    return simulate_traffic(
        german,
        days=days,
        per_day=per_day,
        scenario=scenario,
        seed=seed,
        start_date=START,
        model=model,
        shift_day=SHIFT_DAY,
    )


@pytest.fixture(scope="module")
def clean(german, model):
    return simulate(german, model, "clean", per_day=500, days=14)


@pytest.fixture(scope="module")
def migration(german, model):
    return simulate(german, model, "migration", per_day=1000)


@pytest.fixture(scope="module")
def concept(german, model):
    return simulate(german, model, "concept", per_day=800)


def day_index(predictions: pd.DataFrame) -> np.ndarray:
    start = pd.Timestamp(START, tz="UTC")
    return ((predictions["scored_at"] - start) // pd.Timedelta(days=1)).to_numpy()


def features_of(predictions: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(list(predictions["features"]))


def labelled_rows(traffic) -> pd.DataFrame:
    labels = traffic.feedback.loc[traffic.feedback["kind"] == "label"]
    joined = traffic.predictions.merge(labels, on="prediction_id", how="inner")
    joined["defaulted"] = (joined["outcome"] == "defaulted").astype(int)
    joined["day"] = day_index(joined)
    return joined
