"""Bench data: simulated traffic with a known share of schema defects, ingested into DuckDB.

The simulator's clean traffic breaks no rule of seeds/feature_schema.csv, so a validation
benchmark on it would only compare 0 with 0. Every day, DEFECT_RATE of the predictions get one
defect each (cycling through DEFECTS): a value out of the schema's range, an unknown category
or a null in a non-nullable feature. Both sides of the validation bench must find exactly them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models_ml.credit_model import load_german_credit
from models_ml.simulate import iter_simulated_days
from orchestration.ingest import ingest_records
from orchestration.readers import RawRecord
from orchestration.seed_config import contract_rules
from orchestration.simulation import INITIAL_VERSION, ensure_initial_model, frame_records
from orchestration.warehouse import Warehouse, WarehouseConfig, default_project_dir
from orchestration.warehouse_init import init_warehouse

DAYS = 30
SEED = 11
START_DATE = dt.date(2026, 1, 1)
DEFECT_RATE = 0.01
# (feature, bad value): out of range (age 18-100, credit_amount 0-100000, duration 1-120),
# unknown category, null where the schema says is_nullable = false.
DEFECTS: tuple[tuple[str, object], ...] = (
    ("age", 150),
    ("credit_amount", -250.0),
    ("duration", 0),
    ("housing", "castle"),
    ("purpose", "lottery"),
    ("sex", None),
    ("job", None),
)


@dataclass(frozen=True)
class IngestTiming:
    """Rows ingested and where the wall time went: simulating frames vs validating and storing."""

    n_predictions: int
    n_feedback: int
    n_defects: int
    simulate_seconds: float
    total_seconds: float


def bench_config(workdir: Path) -> WarehouseConfig:
    """A DuckDB warehouse file under workdir, using the repository's dbt project."""
    return WarehouseConfig.from_env(target="duckdb", duckdb_path=str(workdir / "bench.duckdb"))


def inject_defects(predictions: pd.DataFrame, *, rate: float,
                   seed: int) -> tuple[pd.DataFrame, int]:
    """A copy whose features dicts carry one defect in `rate` of rows, chosen by a seeded RNG."""
    rng = np.random.default_rng(seed)
    n_bad = int(round(rate * len(predictions)))
    rows = np.sort(rng.choice(len(predictions), size=n_bad, replace=False))
    features = list(predictions["features"])
    for k, row in enumerate(rows):
        name, value = DEFECTS[k % len(DEFECTS)]
        features[row] = {**features[row], name: value}
    return predictions.assign(features=features), n_bad


def ingest_bench_traffic(warehouse: Warehouse, *, rows: int, days: int = DAYS, seed: int = SEED,
                         defect_rate: float = DEFECT_RATE,
                         project_dir: Path | None = None) -> IngestTiming:
    """Simulate `rows` clean predictions over `days` days with defects and ingest them."""
    started = time.perf_counter()
    project = Path(project_dir or default_project_dir())
    init_warehouse(warehouse)
    german = load_german_credit(project / "seeds" / "german_credit.csv")
    model = ensure_initial_model(warehouse, german, seed=seed, project_dir=str(project))
    rules = contract_rules(project)
    per_day = -(-rows // days)
    feedback: list[pd.DataFrame] = []
    counters = {"simulate": 0.0, "defects": 0, "rows": 0}

    def prediction_chunks() -> Iterator[list[RawRecord]]:
        days_iter = iter_simulated_days(german, days=days, per_day=per_day, scenario="clean",
                                        seed=seed, start_date=START_DATE, model=model,
                                        model_version=INITIAL_VERSION)
        day = 0
        while counters["rows"] < rows:
            tick = time.perf_counter()
            traffic = next(days_iter, None)
            if traffic is None:
                return
            frame = traffic.predictions.head(rows - counters["rows"])
            frame, n_bad = inject_defects(frame, rate=defect_rate, seed=seed * 1000 + day)
            kept = set(frame["prediction_id"])
            feedback.append(traffic.feedback[traffic.feedback["prediction_id"].isin(kept)])
            records = frame_records(frame)
            counters["simulate"] += time.perf_counter() - tick
            counters["defects"] += n_bad
            counters["rows"] += len(frame)
            day += 1
            yield records

    predictions = ingest_records(warehouse, "predictions", prediction_chunks(), rules=rules,
                                 source_file=f"bench:rows={rows}:seed={seed}")

    def feedback_chunks() -> Iterator[list[RawRecord]]:
        while feedback:
            tick = time.perf_counter()
            records = frame_records(feedback.pop(0))
            counters["simulate"] += time.perf_counter() - tick
            yield records

    labels = ingest_records(warehouse, "feedback", feedback_chunks(), rules=rules,
                            source_file=f"bench:rows={rows}:seed={seed}")
    return IngestTiming(predictions.accepted, labels.accepted, int(counters["defects"]),
                        counters["simulate"], time.perf_counter() - started)

