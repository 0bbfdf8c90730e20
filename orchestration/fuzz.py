"""`vigie fuzz` and the candidate_fuzz step: score a stored version on the schema's fuzz cases.

The cases come from models_ml/fuzz.py (seeds/feature_schema.csv and the bands of
seeds/sensitive_groups.csv); the version's artifact from the model store scores and decides
them, and the rows go to raw.model_fuzz_scores, replacing that version's earlier rows (a re-run
writes the same rows again). What they show is dbt's: marts.model_fuzz_results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models_ml.credit_model import CreditModel, fit_reference_model, load_german_credit
from models_ml.fuzz import case_features_json, feature_specs, fuzz_cases, sensitive_bands
from orchestration import registry
from orchestration.assets.io import append_frame, read_frame
from orchestration.model_store import ModelStore
from orchestration.seed_config import feature_schema, outcome_values, read_seed
from orchestration.warehouse import Warehouse, delete_where

FUZZ_TABLE = "raw.model_fuzz_scores"
DEFAULT_RANDOM_CASES = 1000
DEFAULT_COMBINATIONS = 200
DEFAULT_STEP_FRACTION = 0.01
DEFAULT_SEED = 20261210
RESULT_COLUMNS = ["check_name", "attribute", "n_cases", "n_failures", "observed", "bound",
                  "passed", "detail"]
# The dbt selection that turns the raw rows into the mart, with its tests and the seeds it
# reads (a bound edited in seeds/thresholds.csv counts at once).
FUZZ_MART_SELECTION = ["feature_schema", "thresholds", "stg_raw__model_fuzz_scores",
                       "model_fuzz_results"]

ERR_UNKNOWN_VERSION = "model {model} has no registered version {version!r}"
ERR_NO_ARTIFACT = ("{model} {version} has no artifact in the model store at {root}, and the "
                   "simulator did not register it: save it there, or pass --model-store")
SIMULATOR_SEED = "simulator_seed"  # in the details of the simulator's registration of v1
ERR_NO_FEATURES = "model {model} has no features in seeds/feature_schema.csv"
ERR_MISSING_FEATURE = ("{model} {version} takes feature {feature!r}, which "
                       "seeds/feature_schema.csv does not describe: it cannot be fuzzed")


@dataclass(frozen=True)
class FuzzReport:
    model_name: str
    model_version: str
    n_cases: int
    counts: dict[str, int]
    scored_by: str = "its artifact in the model store"

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()))
        return (f"{self.model_name} {self.model_version}: {self.n_cases} fuzz cases scored by "
                f"{self.scored_by} ({kinds}) into {FUZZ_TABLE}")


@dataclass(frozen=True)
class SimulatorModel:
    """The simulator's served model (models_ml/credit_model.py) with the stored models'
    scoring interface. The simulator serves v1 without storing it; its registration keeps the
    seed that refits it exactly (a LightGBM fit is deterministic for a seed)."""

    model: CreditModel

    @property
    def feature_names(self) -> list[str]:
        return list(self.model.feature_names)

    def predict_default_probability(self, features: pd.DataFrame) -> np.ndarray:
        return self.model.predict_default_probability(features)

    def decide(self, scores, *, favorable: str, unfavorable: str) -> np.ndarray:
        # CreditModel.decide's rule (approve below the threshold) in the seed's decision values
        return np.where(np.asarray(scores, dtype=float) < self.model.threshold, favorable,
                        unfavorable).astype(object)


def simulator_seed(wh: Warehouse, model_name: str, model_version: str) -> int | None:
    """The seed the simulator registered the version with, None when it did not register it."""
    details = wh.scalar("select details from raw.model_registry where model_name = :m "
                        "and model_version = :v and event = 'registered' "
                        "order by recorded_at limit 1", {"m": model_name, "v": model_version})
    value = json.loads(details).get(SIMULATOR_SEED) if details else None
    return int(value) if value is not None else None


def model_to_fuzz(wh: Warehouse, store: ModelStore, model_name: str, model_version: str):
    """The version's stored artifact; else, for the simulator's v1, the served model refitted
    from its registered seed. Returns (model, what scored)."""
    if store.has(model_name, model_version):
        return store.load(model_name, model_version), "its artifact in the model store"
    seed = simulator_seed(wh, model_name, model_version)
    if seed is None:
        raise FileNotFoundError(ERR_NO_ARTIFACT.format(model=model_name, version=model_version,
                                                       root=store.root))
    german = load_german_credit(Path(wh.config.project_dir) / "seeds" / "german_credit.csv")
    return (SimulatorModel(fit_reference_model(german, seed=seed)),
            f"the simulator's model, refitted from its registered seed {seed}")


def fuzz_id_for(model_name: str, model_version: str) -> str:
    return f"{model_name}:{model_version}"


def fuzz_version(wh: Warehouse, store: ModelStore, model_name: str, model_version: str, *,
                 n_random: int = DEFAULT_RANDOM_CASES, n_combinations: int = DEFAULT_COMBINATIONS,
                 step_fraction: float = DEFAULT_STEP_FRACTION,
                 seed: int = DEFAULT_SEED) -> FuzzReport:
    """Generate the schema's fuzz cases, score them with the stored version, replace its rows
    of raw.model_fuzz_scores. Unknown version, missing artifact: a one-line error."""
    if model_version not in registry.versions(wh, model_name):
        raise registry.RegistryError(ERR_UNKNOWN_VERSION.format(model=model_name,
                                                                version=model_version))
    model, scored_by = model_to_fuzz(wh, store, model_name, model_version)
    project_dir = wh.config.project_dir
    rows = feature_schema(project_dir, model_name)
    if not rows:
        raise ValueError(ERR_NO_FEATURES.format(model=model_name))
    specs = feature_specs(rows)
    names = [s.name for s in specs]
    for feature in model.feature_names:
        if feature not in names:
            raise ValueError(ERR_MISSING_FEATURE.format(model=model_name, version=model_version,
                                                        feature=feature))
    cases = fuzz_cases(specs, bands=sensitive_bands(read_seed(project_dir, "sensitive_groups")),
                       n_random=n_random, n_combinations=n_combinations,
                       step_fraction=step_fraction, seed=seed)
    scores = model.predict_default_probability(cases.loc[:, names])
    decisions = model.decide(scores,
                             favorable=outcome_values(project_dir, model_name, "decision",
                                                      favorable=True)[0],
                             unfavorable=outcome_values(project_dir, model_name, "decision",
                                                        favorable=False)[0])
    fuzz_id = fuzz_id_for(model_name, model_version)
    frame = pd.DataFrame({
        "fuzz_id": fuzz_id, "model_name": model_name, "model_version": model_version,
        "case_id": cases["case_id"].astype(str), "case_kind": cases["case_kind"].astype(str),
        "base_case_id": cases["base_case_id"].astype(object),
        "perturbed_feature": cases["perturbed_feature"].astype(object),
        "perturbation": cases["perturbation"].astype(object),
        "features": case_features_json(cases, names),
        "score": pd.Series(scores, dtype=float).to_numpy(),
        "decision": pd.Series(decisions, dtype=object).astype(str).to_numpy(),
        "fuzz_seed": seed})
    with wh.connect() as conn:
        delete_where(conn, wh.target, FUZZ_TABLE, "fuzz_id", fuzz_id)
        append_frame(conn, wh.target, FUZZ_TABLE, frame)
    return FuzzReport(model_name, model_version, len(frame),
                      cases["case_kind"].value_counts().to_dict(), scored_by)


def read_fuzz_results(wh: Warehouse, model_name: str, model_version: str) -> pd.DataFrame:
    """marts.model_fuzz_results of one version, counterfactual flip rates first."""
    return read_frame(wh, f"select {', '.join(RESULT_COLUMNS)} from marts.model_fuzz_results "
                          "where model_name = :m and model_version = :v "
                          "order by case when check_name = 'counterfactual_flip_rate' then 0 "
                          "else 1 end, check_name, attribute",
                      {"m": model_name, "v": model_version})


def _number(value: object) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{float(value):.4g}"


def _verdict(value: object) -> str:
    if value is None or pd.isna(value):
        return "not judged"
    return "passed" if bool(value) else "FAILED"


def results_table(results: pd.DataFrame) -> str:
    """The mart's rows as aligned text lines: check, attribute, observed, bound, verdict."""
    header = ("check", "attribute", "observed", "bound", "verdict", "detail")
    lines = [(str(r.check_name), str(r.attribute), _number(r.observed), _number(r.bound),
              _verdict(r.passed), str(r.detail)) for r in results.itertuples(index=False)]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths,
                                                                         strict=True))
                     + "  " + row[5] for row in [header, *lines])
