"""The promotion gate's real SQL on hand-made inputs: dbt compiles the gate models once per
engine, and each case loads its input tables and runs the compiled SQL in order (no dbt run
per case, so many cases and Hypothesis examples stay fast).

Inputs are the relations the gate models read; a case may start from int_evaluation_groups
(rows → candidate_parity → summary → gate) or from candidate_parity itself (random parity
tables, NaN included).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import WarehouseConfig

# compiled in this order; each reads only inputs and the models before it
CHAIN = ["candidate_evaluation_performance", "candidate_parity", "candidate_fairness_summary",
         "int_gate_evaluations", "int_gate_auc_margin", "int_gate_fairness",
         "int_gate_sensitive_importance", "int_gate_validation_auc_floor",
         "int_gate_fuzz_counterfactual", "promotion_gate_checks", "promotion_gate"]
MODEL_FOLDERS = {"candidate_parity": "marts/fairness",
                 "candidate_fairness_summary": "marts/fairness",
                 **{name: "intermediate" for name in CHAIN if name.startswith("int_")}}

INPUT_TABLES = {
    "staging.stg_raw__evaluation_scores": {
        "evaluation_id": "varchar", "model_name": "varchar", "model_version": "varchar",
        "evaluation_role": "varchar", "prediction_id": "varchar", "score": "double precision",
        "decision": "varchar", "outcome": "varchar", "scored_at": "timestamp"},
    "raw.outcomes": {"model_name": "varchar", "value_kind": "varchar", "value": "varchar",
                     "is_favorable": "boolean"},
    "raw.thresholds": {"threshold_name": "varchar", "threshold_value": "double precision",
                       "description": "varchar"},
    "intermediate.int_evaluation_groups": {
        "evaluation_id": "varchar", "model_name": "varchar", "model_version": "varchar",
        "evaluation_role": "varchar", "prediction_id": "varchar", "attribute": "varchar",
        "group_name": "varchar", "score": "double precision",
        "is_favorable_decision": "boolean", "is_favorable_outcome": "boolean"},
    "marts.candidate_parity": {
        "evaluation_id": "varchar", "model_name": "varchar", "model_version": "varchar",
        "evaluation_role": "varchar", "attribute": "varchar", "group_name": "varchar",
        "n_predictions": "bigint", "n_favorable_decisions": "bigint",
        "selection_rate": "double precision", "n_labeled": "bigint",
        "n_favorable_outcomes": "bigint", "n_unfavorable_outcomes": "bigint",
        "true_positive_rate": "double precision", "false_positive_rate": "double precision",
        "is_suppressed": "boolean"},
    "marts.feature_importance": {
        "model_name": "varchar", "model_version": "varchar", "feature_name": "varchar",
        "mean_abs_contribution": "double precision", "importance_share": "double precision",
        "is_sensitive": "boolean"},
    "intermediate.int_validation_auc": {"model_name": "varchar", "model_version": "varchar",
                                        "validation_auc": "double precision"},
    "raw.feature_schema": {"model_name": "varchar", "feature_name": "varchar",
                           "is_sensitive": "boolean"},
    "marts.model_fuzz_results": {
        "model_name": "varchar", "model_version": "varchar", "check_name": "varchar",
        "attribute": "varchar", "n_cases": "bigint", "n_failures": "bigint",
        "observed": "double precision", "bound": "double precision", "is_assessable": "boolean",
        "passed": "boolean", "detail": "varchar"},
    "staging.stg_raw__model_registry": {
        "registry_event_id": "varchar", "model_name": "varchar", "model_version": "varchar",
        "registry_event": "varchar", "stage": "varchar", "recorded_at": "timestamp",
        "training_method": "varchar", "answers_version": "varchar"},
}

THRESHOLDS = {  # seeds/thresholds.csv, the gate's rows
    "promotion_delta": 0.01, "four_fifths_ratio": 0.8, "equalized_odds_bound": 0.1,
    "min_group_size": 30, "validation_auc_floor": 0.6, "sensitive_importance_share_max": 0.25,
    "sensitive_importance_jump_max": 0.05, "bootstrap_resamples": 200,
    "bootstrap_interval_level": 0.95, "bootstrap_seed": 20261202}
OUTCOMES = pd.DataFrame({"model_name": "m", "value_kind": ["decision", "decision", "outcome",
                                                           "outcome"],
                         "value": ["approved", "declined", "repaid", "defaulted"],
                         "is_favorable": [True, False, True, False]})


def compile_gate(config: WarehouseConfig, target_path: str | Path) -> dict[str, str]:
    """The compiled SQL of each model of CHAIN on this target."""
    run_dbt(["compile", "--select", *CHAIN], config, target_path=str(target_path), capture=True)
    root = Path(target_path) / "compiled" / "vigie" / "models"
    return {name: (root / MODEL_FOLDERS.get(name, "marts/ml") / f"{name}.sql").read_text()
            for name in CHAIN}


def relation_of(name: str) -> str:
    return f"intermediate.{name}" if name.startswith("int_") else f"marts.{name}"


def create_inputs(conn: sa.Connection) -> None:
    for schema in ("raw", "staging", "intermediate", "marts"):
        conn.execute(sa.text(f"create schema if not exists {schema}"))
    for table, columns in INPUT_TABLES.items():
        conn.execute(sa.text(f"drop table if exists {table}"))
        body = ", ".join(f"{c} {t}" for c, t in columns.items())
        conn.execute(sa.text(f"create table {table} ({body})"))


def load(conn: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    """Replace the rows of an input table (NaN kept as NaN, None as null)."""
    conn.execute(sa.text(f"delete from {table}"))
    columns = list(INPUT_TABLES[table])
    frame = frame.reindex(columns=columns)
    if frame.empty:
        return
    records = [{c: (None if v is None or (v is pd.NA) or (isinstance(v, float) and pd.isna(v)
                                                        and c not in FLOAT_COLUMNS[table])
                    else v) for c, v in zip(columns, row, strict=True)}
               for row in frame.astype(object).itertuples(index=False)]
    placeholders = ", ".join(f":{c}" for c in columns)
    conn.execute(sa.text(f"insert into {table} ({', '.join(columns)}) values ({placeholders})"),
                 records)


FLOAT_COLUMNS = {t: {c for c, kind in cols.items() if kind == "double precision"}
                 for t, cols in INPUT_TABLES.items()}


def run_gate(engine: sa.Engine, compiled: dict[str, str], inputs: dict[str, pd.DataFrame], *,
             thresholds: dict[str, float] | None = None, from_parity: bool = False
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load the inputs, run the chain, return (promotion_gate_checks, promotion_gate).

    from_parity: inputs hold marts.candidate_parity itself (candidate_parity is not rebuilt).
    """
    bounds = {**THRESHOLDS, **(thresholds or {})}
    with engine.begin() as conn:
        load(conn, "raw.thresholds", pd.DataFrame({"threshold_name": list(bounds),
                                                   "threshold_value": list(bounds.values())}))
        load(conn, "raw.outcomes", OUTCOMES)
        for table in INPUT_TABLES:
            if table not in ("raw.thresholds", "raw.outcomes"):
                load(conn, table, inputs.get(table, pd.DataFrame()))
        for name in CHAIN:
            if name == "candidate_parity" and from_parity:
                continue
            if name != "candidate_parity":
                conn.execute(sa.text(f"drop table if exists {relation_of(name)}"))
            else:
                conn.execute(sa.text("delete from marts.candidate_parity"))
                conn.execute(sa.text(f"insert into marts.candidate_parity "
                                     f"({', '.join(INPUT_TABLES['marts.candidate_parity'])}) "
                                     f"select {', '.join(INPUT_TABLES['marts.candidate_parity'])} "
                                     f"from ({compiled[name]}) as parity"))
                continue
            conn.execute(sa.text(f"create table {relation_of(name)} as {compiled[name]}"))
        checks = pd.read_sql(sa.text("select * from marts.promotion_gate_checks "
                                     "order by evaluation_id, check_name"), conn)
        gate = pd.read_sql(sa.text("select * from marts.promotion_gate order by evaluation_id"),
                           conn)
    return checks, gate
