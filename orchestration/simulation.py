"""`vigie simulate`: grow production traffic from the German credit rows and write it through
the same ingestion path as a user's files."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pandas as pd

from models_ml.credit_model import (
    FEATURES,
    CreditModel,
    fit_reference_model,
    german_as_reference,
    load_german_credit,
)
from models_ml.simulate import iter_simulated_days
from models_ml.training import stratified_split
from orchestration import registry
from orchestration.assets.io import append_frame
from orchestration.ingest import ingest_records
from orchestration.ingest_reference import ingest_reference_file
from orchestration.ingest_store import IngestReport, now_utc
from orchestration.readers import RawRecord
from orchestration.resources import default_model_name
from orchestration.seed_config import contract_rules, outcome_values
from orchestration.warehouse import Warehouse

INITIAL_VERSION = "v1"


@dataclass
class SimulationReport:
    predictions: IngestReport
    feedback: IngestReport
    reference: IngestReport | None
    start_date: dt.date
    days: int


def frame_records(frame: pd.DataFrame) -> list[RawRecord]:
    """Rows of a frame as ingestion records (missing values as None, payload as JSON)."""
    clean = frame.astype(object).where(frame.notna(), None)
    rows = clean.to_dict("records")
    return [RawRecord(i + 1, orjson.dumps(r, default=str).decode(), r)
            for i, r in enumerate(rows)]


def held_out_scores(german: pd.DataFrame, *, seed: int, model_name: str,
                    favorable: str, unfavorable: str) -> pd.DataFrame:
    """The served recipe's scores of a stratified quarter of the rows it did not see, with
    their outcomes (raw.validation_scores: dbt computes the validation AUC a team records; the
    in-sample AUC of the final fit would flatter it)."""
    _, default = german_as_reference(german)
    train, validation = stratified_split(default, validation_fraction=0.25, seed=seed)
    model = fit_reference_model(german.iloc[train], seed=seed)
    held_out, _ = german_as_reference(german.iloc[validation])
    return pd.DataFrame({
        "model_name": model_name, "model_version": INITIAL_VERSION,
        "row_id": [f"g{i:04d}" for i in validation],
        "score": model.predict_default_probability(held_out).astype(float),
        "outcome": [unfavorable if d else favorable for d in default[validation]],
        "scored_at": now_utc()})


def ensure_initial_model(warehouse: Warehouse, german: pd.DataFrame, *, seed: int,
                         project_dir: str, model_name: str | None = None) -> CreditModel:
    """Fit the served model on the reference data; register it as v1 of `model_name` (default:
    the dbt var vigie_default_model) with its reference sample the first time (until a
    retraining replaces it)."""
    model_name = model_name or default_model_name(project_dir)
    features, _ = german_as_reference(german)
    # Reweighed by sex × age band, so the served model is fair before the incident.
    model = fit_reference_model(german, seed=seed)
    if INITIAL_VERSION not in registry.versions(warehouse, model_name):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "reference.csv"
            features.assign(row_id=[f"g{i:04d}" for i in range(len(features))]).to_csv(
                path, index=False)
            ingest_reference_file(warehouse, path, model_name=model_name,
                                  model_version=INITIAL_VERSION, features=list(FEATURES))
        with warehouse.connect() as conn:
            registry.record_event(
                conn, model_name=model_name, model_version=INITIAL_VERSION,
                event="registered", stage="production",
                reason="initial model fitted on the reference data by the simulator",
                # what refits it, byte for byte: `vigie fuzz v1` scores it without an artifact
                details={"simulator_seed": seed},
                trained_at=now_utc(), dataset_hash=None, n_training_rows=len(features),
                decision_threshold=model.threshold,
                feature_list=list(FEATURES))
            append_frame(conn, warehouse.target, "raw.validation_scores", held_out_scores(
                german, seed=seed, model_name=model_name,
                favorable=outcome_values(project_dir, model_name, "outcome", True)[0],
                unfavorable=outcome_values(project_dir, model_name, "outcome", False)[0]))
    return model


def simulate_into(warehouse: Warehouse, *, days: int, per_day: int, scenario: str, seed: int,
                  start_date: dt.date | None = None, project_dir: str,
                  model_name: str | None = None,
                  progress: Callable[[str], None] | None = None) -> SimulationReport:
    """Simulate `days` × `per_day` predictions of `model_name` (default: the dbt var
    vigie_default_model) and their feedback, and ingest them."""
    start_date = start_date or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days))
    model_name = model_name or default_model_name(project_dir)
    german = load_german_credit(Path(project_dir) / "seeds" / "german_credit.csv")
    model = ensure_initial_model(warehouse, german, seed=seed, project_dir=project_dir,
                                 model_name=model_name)
    rules = contract_rules(project_dir)
    pending_feedback: list[pd.DataFrame] = []

    def prediction_chunks() -> Iterator[list[RawRecord]]:
        for day, traffic in enumerate(iter_simulated_days(
                german, days=days, per_day=per_day, scenario=scenario, seed=seed,
                start_date=start_date, model=model, model_version=INITIAL_VERSION)):
            pending_feedback.append(traffic.feedback)
            if progress:
                progress(f"simulated day {day + 1}/{days} ({start_date + dt.timedelta(day)})")
            yield frame_records(traffic.predictions.assign(model_name=model_name))

    predictions = ingest_records(warehouse, "predictions", prediction_chunks(), rules=rules,
                                 source_file=f"simulate:{scenario}:seed={seed}")

    def feedback_chunks() -> Iterator[list[RawRecord]]:
        while pending_feedback:
            yield frame_records(pending_feedback.pop(0))

    feedback = ingest_records(warehouse, "feedback", feedback_chunks(), rules=rules,
                              source_file=f"simulate:{scenario}:seed={seed}")
    return SimulationReport(predictions, feedback, None, start_date, days)
