"""Configuration read from the dbt seeds, so Python and SQL follow the same CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

from models_ml.raw_validation import ContractRules

TRAINING_MAX_ROWS = "training_max_rows"
ERR_TRAINING_MAX_ROWS = ("seeds/thresholds.csv: training_max_rows must be a whole number of at "
                         "least 1, got {value!r}")


def read_seed(project_dir: str | Path, name: str) -> list[dict[str, str]]:
    """Rows of seeds/<name>.csv as dicts of text."""
    with (Path(project_dir) / "seeds" / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def thresholds(project_dir: str | Path) -> dict[str, float]:
    """seeds/thresholds.csv as name → value; a row with an empty value (a rule switched off,
    such as drift_fdr_level) is left out."""
    return {r["threshold_name"]: float(r["threshold_value"])
            for r in read_seed(project_dir, "thresholds") if r["threshold_value"].strip()}


def training_max_rows(project_dir: str | Path) -> int | None:
    """The most labelled rows a training reads (threshold training_max_rows); None without the
    row, i.e. no cap."""
    value = thresholds(project_dir).get(TRAINING_MAX_ROWS)
    if value is None:
        return None
    if not (value >= 1 and float(value).is_integer()):
        raise ValueError(ERR_TRAINING_MAX_ROWS.format(value=value))
    return int(value)


def feature_schema(project_dir: str | Path, model_name: str) -> list[dict[str, str]]:
    """The rows of seeds/feature_schema.csv for one model."""
    return [r for r in read_seed(project_dir, "feature_schema") if r["model_name"] == model_name]


def sensitive_features(project_dir: str | Path, model_name: str) -> list[str]:
    return [r["feature_name"] for r in feature_schema(project_dir, model_name)
            if r["is_sensitive"].lower() == "true"]


def outcome_values(project_dir: str | Path, model_name: str, kind: str,
                   favorable: bool | None = None) -> list[str]:
    """Decision or outcome values of a model (seeds/outcomes.csv), optionally by favourability."""
    return [r["value"] for r in read_seed(project_dir, "outcomes")
            if r["model_name"] == model_name and r["value_kind"] == kind
            and (favorable is None or (r["is_favorable"].lower() == "true") == favorable)]


def contract_rules(project_dir: str | Path) -> ContractRules:
    """Known models, their decisions and label outcomes, as the ingestion contract checks them."""
    models = {r["model_name"] for r in read_seed(project_dir, "feature_schema")}
    outcome_rows = read_seed(project_dir, "outcomes")
    decisions: dict[str, set[str]] = {}
    for row in outcome_rows:
        if row["value_kind"] == "decision":
            decisions.setdefault(row["model_name"], set()).add(row["value"])
    outcomes = {r["value"] for r in outcome_rows if r["value_kind"] == "outcome"}
    return ContractRules(known_models=models, decisions_by_model=decisions, outcomes=outcomes)
